/**
 * The AWS SDK warns on every start that its releases after January 2027 will need Node 22. Our
 * Lambda runtime is Node 22; on the local Node 20 the warning is noise, so the local tools turn
 * off that one warning with the SDK's own switch (unless the user set it).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

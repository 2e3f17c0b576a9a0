export {
  createProjectTables,
  documentClient,
  startDynalite,
  startDynamoDbLocal,
  type Backend,
} from '../../lib/tools/dynamo-servers';

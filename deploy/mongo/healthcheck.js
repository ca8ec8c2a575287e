// compose's healthcheck for mongo (mongosh --file): as the root user, initiates the
// one-member replica set on the first start, then is healthy only once this node is a
// writable primary. The password comes from the environment, never the command line.
// (mongosh exits 0 whatever a script prints, so quit() says it.)
const admin = db.getSiblingDB("admin");
admin.auth(process.env.MONGO_INITDB_ROOT_USERNAME, process.env.MONGO_INITDB_ROOT_PASSWORD);
try {
  rs.status();
} catch (notInitiated) {
  rs.initiate({ _id: "rs0", members: [{ _id: 0, host: "mongo:27017" }] });
}
quit(admin.hello().isWritablePrimary ? 0 : 1);

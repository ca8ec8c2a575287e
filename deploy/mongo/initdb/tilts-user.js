// Runs once, on the first start with an empty data directory (the mongo image runs
// /docker-entrypoint-initdb.d as the root user): creates the user the services log in
// as, which may read and write the Tilts databases and nothing else: no other database,
// no user or server administration. Its password is MONGO_APP_PASSWORD.
// Keep DATABASES in step with the services (tests/deploy/test_compose.py checks it).
const DATABASES = ["tilts_registry", "tilts_pledges", "tilts_matching", "tilts_notify"];

const user = process.env.MONGO_APP_USER;
const password = process.env.MONGO_APP_PASSWORD || "";
// it goes into MONGO_URI unescaped; hex from `openssl rand -hex 32` fits
if (!/^[A-Za-z0-9._~-]{16,}$/.test(password) || /change-me/i.test(password)) {
  throw new Error(
    "MONGO_PASSWORD must be at least 16 letters, digits or '._~-' and no placeholder: " +
      "use `openssl rand -hex 32`"
  );
}
db.getSiblingDB("admin").createUser({
  user: user,
  pwd: password,
  roles: DATABASES.map((name) => ({ role: "readWrite", db: name })),
});
print(`tilts-user.js: user ${user} may read and write ${DATABASES.join(", ")}`);

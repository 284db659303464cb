// Drives a running LocalKeyVault from the JavaScript Azure SDK, unchanged: the real vault URL through HTTPS_PROXY,
// DefaultAzureCredential through the managed-identity endpoint (IDENTITY_ENDPOINT, IDENTITY_HEADER), the challenge's
// resource verified. Needs the variables LocalKeyVault prints (NODE_EXTRA_CA_CERTS among them) and LKV_ADMIN, the
// admin API's root. Usage: node check.mjs https://orders-kv.vault.azure.net
import { DefaultAzureCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";

const vaultUrl = process.argv[2] ?? "https://orders-kv.vault.azure.net";
const vaultName = new URL(vaultUrl).hostname.split(".")[0];
const admin = process.env.LKV_ADMIN ?? "http://127.0.0.1:8443/_admin/";
let passed = 0;
let failed = 0;

async function check(name, body) {
  try {
    await body();
    passed++;
    console.log(`ok - ${name}`);
  } catch (error) {
    failed++;
    console.log(`not ok - ${name}: ${error?.stack ?? error}`);
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function control(method, path, body) {
  const response = await fetch(new URL(path, admin), {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  assert(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

async function expectError(promise, status, code) {
  try {
    await promise;
  } catch (error) {
    assert(error.statusCode === status, `expected ${status}, got ${error.statusCode}: ${error.message}`);
    if (code) assert(error.code === code, `expected code ${code}, got ${error.code}`);
    return error;
  }
  throw new Error(`expected a ${status} error`);
}

const credential = new DefaultAzureCredential();
const fastRetries = { retryOptions: { maxRetries: 4, retryDelayInMs: 50, maxRetryDelayInMs: 2000 } };
const client = new SecretClient(vaultUrl, credential, fastRetries);
const noRetries = new SecretClient(vaultUrl, credential, { retryOptions: { maxRetries: 0 } });
const idPrefix = `${vaultUrl.replace(/\/$/, "")}/secrets/`;
await control("POST", "counters/reset");
await control("DELETE", "requests");

let firstVersion;
await check("set and get a secret (ids carry the vault URL)", async () => {
  const set = await client.setSecret("js-one", "value-1", { contentType: "text/plain", tags: { lang: "js" } });
  assert(set.properties.id.startsWith(idPrefix), `id ${set.properties.id}`);
  firstVersion = set.properties.version;
  const got = await client.getSecret("js-one");
  assert(got.value === "value-1" && got.properties.tags.lang === "js", JSON.stringify(got.properties));
});

await check("new version, get by version, list versions", async () => {
  await client.setSecret("js-one", "value-2");
  const old = await client.getSecret("js-one", { version: firstVersion });
  assert(old.value === "value-1", `version ${firstVersion} is ${old.value}`);
  const versions = [];
  for await (const p of client.listPropertiesOfSecretVersions("js-one")) versions.push(p.version);
  assert(versions.length >= 2 && versions.includes(firstVersion), `versions ${versions}`);
});

await check("update properties", async () => {
  const updated = await client.updateSecretProperties("js-one", firstVersion, { enabled: false, tags: { state: "old" } });
  assert(updated.enabled === false && updated.tags.state === "old", JSON.stringify(updated));
  await expectError(client.getSecret("js-one", { version: firstVersion }), 403, "Forbidden");
});

await check("paging: 30 secrets over pages of 7 (nextLinks followed through the proxy)", async () => {
  for (let i = 0; i < 30; i++) await client.setSecret(`js-page-${String(i).padStart(2, "0")}`, `v${i}`);
  let pages = 0;
  const names = [];
  for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 7 })) {
    pages++;
    for (const p of page) if (p.name.startsWith("js-page-")) names.push(p.name);
  }
  assert(names.length === 30, `listed ${names.length}`);
  assert(pages >= 5, `pages ${pages}`);
  const { requests } = await control("GET", "requests");
  const hosts = new Set(requests.map((r) => r.host));
  assert(hosts.size === 1 && hosts.has(new URL(vaultUrl).host), `hosts ${[...hosts]}`);
});

await check("a missing secret is 404 SecretNotFound", async () => {
  await expectError(client.getSecret("js-missing"), 404, "SecretNotFound");
});

await check("delete, get deleted, list deleted, recover", async () => {
  await client.setSecret("js-del", "gone");
  const poller = await client.beginDeleteSecret("js-del", { intervalInMs: 50 });
  const deleted = await poller.pollUntilDone();
  assert(deleted.recoveryId?.includes("/deletedsecrets/js-del"), `recoveryId ${deleted.recoveryId}`);
  const got = await client.getDeletedSecret("js-del");
  assert(got.name === "js-del", got.name);
  const names = [];
  for await (const d of client.listDeletedSecrets()) names.push(d.name);
  assert(names.includes("js-del"), `deleted ${names}`);
  const recover = await client.beginRecoverDeletedSecret("js-del", { intervalInMs: 50 });
  await recover.pollUntilDone();
  assert((await client.getSecret("js-del")).value === "gone", "not recovered");
});

await check("backup, delete, purge, restore", async () => {
  await client.setSecret("js-backup", "kept");
  const backup = await client.backupSecret("js-backup");
  assert(backup && backup.length > 0, "empty backup");
  await (await client.beginDeleteSecret("js-backup", { intervalInMs: 50 })).pollUntilDone();
  await client.purgeDeletedSecret("js-backup");
  await expectError(client.getDeletedSecret("js-backup"), 404);
  const restored = await client.restoreSecretBackup(backup);
  assert(restored.name === "js-backup", restored.name);
  assert((await client.getSecret("js-backup")).value === "kept", "not restored");
});

await check("429 with Retry-After: the SDK waits and succeeds", async () => {
  await control("PUT", `vaults/${vaultName}/rate-limit`, { permits: 2, windowSeconds: 1, retryAfter: true });
  await control("DELETE", "requests");
  const results = await Promise.all([0, 1, 2, 3].map(() => client.getSecret("js-one")));
  assert(results.every((r) => r.value === "value-2"), "a read failed");
  const { requests } = await control("GET", "requests");
  assert(requests.some((r) => r.status === 429), "no 429 was answered");
});

await check("429 without Retry-After and no retries: Throttled", async () => {
  await control("PUT", `vaults/${vaultName}/rate-limit`, { permits: 1, windowSeconds: 60 });
  await noRetries.getSecret("js-one").catch(() => {});
  await expectError(noRetries.getSecret("js-one"), 429, "Throttled");
  await control("DELETE", `vaults/${vaultName}/rate-limit`);
});

await check("a fault set through the admin API: 503 once, retried", async () => {
  await control("DELETE", "requests");
  await control("POST", `vaults/${vaultName}/faults`, { kind: "status", status: 503, secret: "js-one", count: 1 });
  assert((await client.getSecret("js-one")).value === "value-2", "read failed");
  const { requests } = await control("GET", "requests");
  assert(requests.some((r) => r.status === 503 && r.fault), "no 503 was injected");
});

await check("a secret disabled through the admin API is 403", async () => {
  await control("PUT", `vaults/${vaultName}/secrets/js-admin`, { value: "from-admin" });
  assert((await client.getSecret("js-admin")).value === "from-admin", "admin value");
  await control("POST", `vaults/${vaultName}/secrets/js-admin/disable`);
  await expectError(client.getSecret("js-admin"), 403, "Forbidden");
});

await check("a vault the server does not host fails like an unknown host (the proxy refuses the CONNECT, 502)", async () => {
  const other = new SecretClient(vaultUrl.replace(vaultName, `${vaultName}-typo`), credential, { retryOptions: { maxRetries: 0 } });
  await control("DELETE", "requests");
  await expectError(other.getSecret("x"), 502);
  const { requests } = await control("GET", "requests");
  assert(requests.length === 0, `the vault handler saw ${requests.length} requests`);
});

await check("tokens came from the identity endpoint and were counted", async () => {
  const counters = await control("GET", "counters");
  assert(counters.tokens >= 1 && counters.tokens <= 3, `tokens ${counters.tokens}`);
  assert(counters.challenges >= 1, `challenges ${counters.challenges}`);
  console.log(`  tokens ${counters.tokens}, challenges ${counters.challenges}, secret requests ${counters.secretRequests}`);
});

console.log(`javascript: ${passed} of ${passed + failed} checks passed`);
process.exit(failed === 0 ? 0 : 1);

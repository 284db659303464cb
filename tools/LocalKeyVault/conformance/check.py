"""Drives a running LocalKeyVault from the Python Azure SDK, unchanged: the real vault URL through HTTPS_PROXY,
DefaultAzureCredential through the managed-identity endpoint (IDENTITY_ENDPOINT, IDENTITY_HEADER), the challenge's
resource verified. Needs the variables LocalKeyVault prints (REQUESTS_CA_BUNDLE among them) and LKV_ADMIN, the admin
API's root. Usage: python3 check.py https://orders-kv.vault.azure.net"""
import json
import os
import sys
import traceback
import urllib.request
from urllib.parse import urlparse

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError, ServiceRequestError
from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient

vault_url = sys.argv[1] if len(sys.argv) > 1 else "https://orders-kv.vault.azure.net"
vault_name = urlparse(vault_url).hostname.split(".")[0]
admin = os.environ.get("LKV_ADMIN", "http://127.0.0.1:8443/_admin/")
results = {"passed": 0, "failed": 0}
# The admin API is on 127.0.0.1: never through the proxy.
direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def control(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(admin + path, data=data, method=method, headers={"content-type": "application/json"})
    with direct.open(request) as response:
        return json.loads(response.read() or b"{}")


def check(name):
    def run(body):
        try:
            body()
            results["passed"] += 1
            print(f"ok - {name}")
        except Exception:  # noqa: BLE001 - every failure is reported, then counted
            results["failed"] += 1
            print(f"not ok - {name}: {traceback.format_exc()}")
        return body
    return run


credential = DefaultAzureCredential()
client = SecretClient(vault_url, credential, retry_backoff_factor=0.05)
no_retries = SecretClient(vault_url, credential, retry_total=0)
id_prefix = vault_url.rstrip("/") + "/secrets/"
control("POST", "counters/reset")
control("DELETE", "requests")


@check("set and get a secret (ids carry the vault URL)")
def _():
    secret = client.set_secret("py-one", "value-1", content_type="text/plain", tags={"lang": "py"})
    assert secret.id.startswith(id_prefix), secret.id
    got = client.get_secret("py-one")
    assert got.value == "value-1" and got.properties.tags == {"lang": "py"}, got.properties.tags


@check("list secrets over pages (nextLinks followed through the proxy)")
def _():
    for i in range(30):
        client.set_secret(f"py-page-{i:02}", f"v{i}")
    pages = list(client.list_properties_of_secrets(max_page_size=7).by_page())
    names = [p.name for page in pages for p in page if p.name.startswith("py-page-")]
    assert len(names) == 30, len(names)
    assert len(pages) >= 5, len(pages)


@check("a missing secret is 404 SecretNotFound")
def _():
    try:
        client.get_secret("py-missing")
    except ResourceNotFoundError as error:
        assert error.status_code == 404 and error.error.code == "SecretNotFound", error
        return
    raise AssertionError("no 404")


@check("429 with Retry-After: the SDK waits and succeeds")
def _():
    control("PUT", f"vaults/{vault_name}/rate-limit", {"permits": 2, "windowSeconds": 1, "retryAfter": True})
    control("DELETE", "requests")
    for _ in range(4):
        assert client.get_secret("py-one").value == "value-1"
    statuses = [r["status"] for r in control("GET", "requests")["requests"]]
    assert 429 in statuses, statuses


@check("429 without Retry-After and no retries: Throttled")
def _():
    control("PUT", f"vaults/{vault_name}/rate-limit", {"permits": 1, "windowSeconds": 60})
    try:
        no_retries.get_secret("py-one")
        no_retries.get_secret("py-one")
    except HttpResponseError as error:
        assert error.status_code == 429 and error.error.code == "Throttled", error
        return
    finally:
        control("DELETE", f"vaults/{vault_name}/rate-limit")
    raise AssertionError("no 429")


@check("a vault the server does not host fails like an unknown host (the proxy refuses the CONNECT)")
def _():
    other = SecretClient(vault_url.replace(vault_name, vault_name + "-typo", 1), credential, retry_total=0)
    try:
        other.get_secret("x")
    except ServiceRequestError as error:
        assert "502" in str(error) or "Tunnel" in str(error), error
        return
    raise AssertionError("the unknown vault answered")


@check("tokens came from the identity endpoint and were counted")
def _():
    counters = control("GET", "counters")
    assert 1 <= counters["tokens"] <= 3, counters
    print(f"  tokens {counters['tokens']}, challenges {counters['challenges']}, secret requests {counters['secretRequests']}")


print(f"python: {results['passed']} of {results['passed'] + results['failed']} checks passed")
sys.exit(0 if results["failed"] == 0 else 1)

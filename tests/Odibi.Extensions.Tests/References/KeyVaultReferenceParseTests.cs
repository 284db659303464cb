using Odibi.Extensions.Internal.KeyVault;
using Odibi.Extensions.Internal.References;

namespace Odibi.Extensions.Tests.References;

public class KeyVaultReferenceParseTests
{
    private const string Version = "ec96f02080254f109c51a1f14cdb1931";

    [Theory]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://orders-kv.vault.azure.net/secrets/sql/)", "https://orders-kv.vault.azure.net/", "sql", null)]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://orders-kv.vault.azure.net/secrets/sql)", "https://orders-kv.vault.azure.net/", "sql", null)]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://Orders-KV.vault.azure.net/secrets/sql/" + Version + ")", "https://orders-kv.vault.azure.net/", "sql", Version)]
    [InlineData("@Microsoft.KeyVault(VaultName=orders-kv;SecretName=sql)", "https://orders-kv.vault.azure.net/", "sql", null)]
    [InlineData("@Microsoft.KeyVault(VaultName=orders-kv;SecretName=sql;SecretVersion=" + Version + ")", "https://orders-kv.vault.azure.net/", "sql", Version)]
    [InlineData("  @microsoft.keyvault( vaultname = Orders-KV ; secretname = sql ; )  ", "https://orders-kv.vault.azure.net/", "sql", null)]
    [InlineData("@Microsoft.KeyVault(SecretName=sql;VaultName=orders-kv)", "https://orders-kv.vault.azure.net/", "sql", null)]
    public void Parse_BothFormsAsAppServiceAcceptsThem(string value, string vault, string name, string? version)
    {
        Assert.True(KeyVaultReference.IsCandidate(value));

        var key = KeyVaultReference.Parse("ConnectionStrings:Orders", value, "vault.azure.net", out var error);

        Assert.Null(error);
        Assert.Equal(new SecretKey(new Uri(vault), name, version), key);
    }

    [Theory]
    [InlineData("@Microsoft.KeyVault(VaultName=orders-kv;SecretName=sql", "no closing ')'")]
    [InlineData("@Microsoft.KeyVault(VaultName=orders-kv)", "names no SecretName")]
    [InlineData("@Microsoft.KeyVault(SecretName=sql)", "names no VaultName")]
    [InlineData("@Microsoft.KeyVault()", "names no VaultName")]
    [InlineData("@Microsoft.KeyVault(VaultName=orders-kv;SecretName=sql;Password=hunter2)", "a part that is not SecretUri")]
    [InlineData("@Microsoft.KeyVault(hunter2)", "a part that is not SecretUri")]
    [InlineData("@Microsoft.KeyVault(VaultName=orders-kv;VaultName=other;SecretName=sql)", "gives VaultName twice")]
    [InlineData("@Microsoft.KeyVault(SecretUri=http://orders-kv.vault.azure.net/secrets/sql)", "not an https URI")]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://orders-kv.vault.azure.net/keys/sql)", "does not name a secret")]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://orders-kv.vault.azure.net/secrets/sql/notaversion)", "does not name a secret")]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://orders-kv.vault.azure.net/secrets/sql;SecretName=x)", "SecretUri with VaultName")]
    [InlineData("@Microsoft.KeyVault(VaultName=orders_kv!;SecretName=sql)", "is not a vault name")]
    [InlineData("@Microsoft.KeyVault(VaultName=orders-kv;SecretName=s q l)", "is not a secret name")]
    [InlineData("@Microsoft.KeyVault(VaultName=orders-kv;SecretName=sql;SecretVersion=7)", "is not a version id")]
    public void Parse_Malformed_NamesThePathAndTheFixNeverTheValue(string value, string expected)
    {
        Assert.True(KeyVaultReference.IsCandidate(value));

        var key = KeyVaultReference.Parse("ConnectionStrings:Orders", value, "vault.azure.net", out var error);

        Assert.Null(key);
        Assert.NotNull(error);
        Assert.StartsWith("ConnectionStrings:Orders: ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Contains("Fix:", error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Microsoft.KeyVault(VaultName=orders-kv;SecretName=sql)")]
    [InlineData("@Microsoft.KeyVaultX(VaultName=orders-kv;SecretName=sql)")]
    [InlineData("see @Microsoft.KeyVault(VaultName=orders-kv;SecretName=sql)")]
    [InlineData("@Microsoft.KeyVault")]
    [InlineData("Server=tcp:orders.database.windows.net;Database=orders")]
    [InlineData("")]
    [InlineData(null)]
    public void IsCandidate_ValuesThatMerelyLookAlike_AreNotReferences(string? value)
    {
        Assert.False(KeyVaultReference.IsCandidate(value));
    }
}

namespace Odibi.Extensions.Benchmarks;

/// <summary>The Azurite storage emulator the soak and the synchronous-calls check run against (started by <c>eng/azurite.sh</c>).</summary>
internal static class AzuriteEmulator
{
    /// <summary>The emulator's account.</summary>
    public const string Account = "devstoreaccount1";

    /// <summary>The emulator's well-known account key (public: it is in Azurite's documentation).</summary>
    public const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>Gets the blob URL from <c>ODIBI_AZURITE_BLOB_URL</c>, or says how to start Azurite and returns <see langword="null"/>.</summary>
    public static string? BlobUrl(string mode)
    {
        var url = Environment.GetEnvironmentVariable("ODIBI_AZURITE_BLOB_URL")?.TrimEnd('/');
        if (string.IsNullOrEmpty(url))
        {
            Console.Error.WriteLine($"{mode}: ODIBI_AZURITE_BLOB_URL is not set; start Azurite with: eval \"$(bash eng/azurite.sh start)\"");
            return null;
        }

        return url;
    }
}

using Odibi.Extensions.Testing.Internal;

namespace Odibi.Extensions.Tests.Testing.Internal;

public sealed class ApiVersionsTests
{
    [Theory]
    [InlineData("7.4")]
    [InlineData("7.6")]
    [InlineData("7.6-preview.2")]
    [InlineData("2016-10-01")]
    [InlineData("2025-07-01")]
    [InlineData("2026-04-01")]
    [InlineData("2026-11-01-preview")]
    public void Check_KnownVersion_IsAccepted(string version)
    {
        Assert.Null(ApiVersions.Check(version));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Check_MissingVersion_AsksForOne(string? version)
    {
        Assert.StartsWith("The api-version query parameter is missing.", ApiVersions.Check(version), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("7")]
    [InlineData("8.0")]
    [InlineData("2019-08-01")]
    [InlineData("latest")]
    public void Check_UnknownVersion_IsTheServicesMessage(string version)
    {
        Assert.Equal($"The specified version ({version}) is not recognized. Consider using the latest supported version ({ApiVersions.Latest}).", ApiVersions.Check(version));
    }
}

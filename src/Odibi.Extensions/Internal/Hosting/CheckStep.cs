namespace Odibi.Extensions.Internal.Hosting;

/// <summary>The step of a check that failed.</summary>
internal enum CheckStep
{
    Secret,
    Token,
    Storage,
}

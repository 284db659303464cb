namespace Odibi.Extensions.Benchmarks.ColdStart;

/// <summary>How the measured app is published.</summary>
internal enum PublishMode
{
    /// <summary>Framework-dependent IL, compiled by the JIT at run time (the shared framework itself is ReadyToRun).</summary>
    Jit,

    /// <summary>Framework-dependent, the app's assemblies precompiled: <c>-p:PublishReadyToRun=true</c>.</summary>
    ReadyToRun,

    /// <summary>One self-contained native executable: <c>-p:PublishAot=true</c>.</summary>
    NativeAot,
}

internal static class PublishModes
{
    public static PublishMode Parse(string text) => text.ToLowerInvariant() switch
    {
        "jit" => PublishMode.Jit,
        "r2r" or "readytorun" => PublishMode.ReadyToRun,
        "aot" or "nativeaot" => PublishMode.NativeAot,
        _ => throw new ArgumentException($"Unknown publish mode '{text}': use jit, r2r or aot."),
    };

    public static string Label(this PublishMode mode) => mode switch
    {
        PublishMode.Jit => "JIT",
        PublishMode.ReadyToRun => "ReadyToRun",
        _ => "Native AOT",
    };

    public static string Folder(this PublishMode mode) => mode switch
    {
        PublishMode.Jit => "jit",
        PublishMode.ReadyToRun => "r2r",
        _ => "aot",
    };

    /// <summary>The <c>dotnet publish</c> arguments after the project and output folder.</summary>
    public static string[] PublishArguments(this PublishMode mode) => mode switch
    {
        PublishMode.Jit => ["--self-contained", "false"],
        PublishMode.ReadyToRun => ["--self-contained", "false", "-p:PublishReadyToRun=true"],
        _ => ["-p:PublishAot=true"],
    };
}

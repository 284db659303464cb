namespace Odibi.Extensions.Benchmarks.ColdStart;

/// <summary>
/// A marked section of a Markdown file that one benchmark mode owns: the cold-start run replaces its section of
/// docs/performance.md, and the main run, which rewrites the file, keeps it.
/// </summary>
internal sealed record DocSection(string Begin, string End)
{
    public static DocSection ColdStart { get; } = new("<!-- cold-start: written by --cold-start -->", "<!-- /cold-start -->");

    public static DocSection Soak { get; } = new("<!-- soak: written by --soak -->", "<!-- /soak -->");

    public static DocSection SyncCalls { get; } = new("<!-- sync-calls: written by --sync-starvation -->", "<!-- /sync-calls -->");

    /// <summary>The sections other modes own, which the main run keeps when it rewrites the file.</summary>
    public static IReadOnlyList<DocSection> Owned { get; } = [ColdStart, Soak, SyncCalls];

    /// <summary>Puts <paramref name="content"/> in the section of <paramref name="path"/>, replacing an earlier one or appending.</summary>
    public static void Replace(string path, DocSection section, string content)
    {
        var existing = File.Exists(path) ? File.ReadAllText(path) : string.Empty;
        var block = $"{section.Begin}\n{content.TrimEnd()}\n{section.End}\n";
        var (begin, end) = section.Find(existing);
        var text = begin >= 0
            ? existing[..begin] + block + existing[end..].TrimStart('\n')
            : existing.TrimEnd() + (existing.Length > 0 ? "\n\n" : string.Empty) + block;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, text);
    }

    /// <summary>Returns <paramref name="markdown"/> followed by each of the <see cref="Owned"/> sections as they stand in <paramref name="path"/>.</summary>
    public static string KeepOwned(string path, string markdown)
    {
        var existing = File.Exists(path) ? File.ReadAllText(path) : string.Empty;
        foreach (var section in Owned)
        {
            var (begin, end) = section.Find(existing);
            markdown = begin >= 0 ? markdown.TrimEnd() + "\n\n" + existing[begin..end] : markdown;
        }

        return markdown;
    }

    private (int Begin, int End) Find(string text)
    {
        var begin = text.IndexOf(Begin, StringComparison.Ordinal);
        var end = begin >= 0 ? text.IndexOf(End, begin, StringComparison.Ordinal) : -1;
        return begin >= 0 && end >= 0 ? (begin, end + End.Length + (end + End.Length < text.Length && text[end + End.Length] == '\n' ? 1 : 0)) : (-1, -1);
    }
}

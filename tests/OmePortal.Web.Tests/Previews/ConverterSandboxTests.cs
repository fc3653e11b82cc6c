using System.Globalization;
using OmePortal.Testing;
using OmePortal.Web.Previews;
using static OmePortal.Web.Tests.Previews.PreviewTestSupport;

namespace OmePortal.Web.Tests.Previews;

/// <summary>
/// What a converter process gets (issue 23, item 2), seen from inside: the portal's pdfinfo is replaced by a
/// shell script that writes down its environment, its limits, its working directory and the modes of the
/// workspace and the document, then runs the real pdfinfo. A document that asks for it makes the script leave
/// an orphaned process behind and hang: the time limit must kill that orphan too (it is in the converter's
/// process group, though no longer in its process tree).
/// </summary>
public sealed class ConverterSandboxTests(ConverterSandboxTests.Host shared) : IClassFixture<ConverterSandboxTests.Host>
{
    private const string SecretVariable = "OMEPORTAL_PREVIEW_TEST_SECRET";

    private readonly PortalHost _host = shared.Host;
    private readonly Host _shared = shared;

    public sealed class Host : SharedPortalHost
    {
        public Host()
        {
            // Anything in the portal's environment (connection strings, keys) must not reach a converter.
            Environment.SetEnvironmentVariable(SecretVariable, "do-not-leak");
            File.WriteAllText(Script, $$"""
                #!/bin/sh
                {
                  echo "ENV"; env
                  echo "LIMITS $(ulimit -v) $(ulimit -t) $(ulimit -f) $(ulimit -c)"
                  echo "CWD $(pwd)"
                  echo "MODES $(stat -c '%a' .) $(stat -c '%a' "$1") $(stat -c '%a' "$HOME") $(stat -c '%a' "$TMPDIR")"
                } > {{Report}}
                if grep -q LEAVE-AN-ORPHAN "$1"; then
                  ( /bin/sleep 600 & echo $! > {{OrphanFile}} ) &
                  /bin/sleep 600
                fi
                exec /usr/bin/pdfinfo "$@"
                """.ReplaceLineEndings("\n"));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(Script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        public string ScriptDirectory { get; } = TestEnvironment.NewTempDirectory("omeportal-fake-pdfinfo");

        public string WorkDirectory { get; } = TestEnvironment.NewTempDirectory("omeportal-previews");

        public string Script => Path.Combine(ScriptDirectory, "pdfinfo");

        public string Report => Path.Combine(ScriptDirectory, "report.txt");

        public string OrphanFile => Path.Combine(ScriptDirectory, "orphan.pid");

        protected override StorageKind Storage => StorageKind.Sqlite;

        protected override IDictionary<string, string?>? Settings => PreviewTestSupport.Settings(
            WorkDirectory, ("PdfInfoPath", Script), ("ConverterTimeout", "00:00:03"), ("ConverterMemoryMegabytes", "700"));
    }

    [Fact]
    public async Task Converter_GetsAnEmptyEnvironment_Limits_AndAPrivateWorkspace()
    {
        var message = await _host.IngestAsync(TestDocuments.Message(Recipient, ("a.pdf", "application/pdf", TestDocuments.Pdf(1, _ => "Sandboxed"))));

        Assert.IsType<PreviewOutcome.Ready>(await PrepareAsync(_host, message.Id, 0));

        var report = File.ReadAllLines(_shared.Report);
        var environment = report.Skip(1).TakeWhile(l => !l.StartsWith("LIMITS ", StringComparison.Ordinal))
            .Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p.ElementAtOrDefault(1));
        Assert.Equal("do-not-leak", Environment.GetEnvironmentVariable(SecretVariable));
        Assert.DoesNotContain(SecretVariable, environment.Keys);
        Assert.Empty(environment.Keys.Except(["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "PWD", "SHLVL", "OLDPWD", "_"]));
        Assert.Equal("/usr/bin:/bin", environment["PATH"]);

        var workspace = Line(report, "CWD ");
        Assert.StartsWith(_shared.WorkDirectory + "/", workspace, StringComparison.Ordinal);
        Assert.Equal(workspace + "/home", environment["HOME"]);
        Assert.Equal(workspace + "/tmp", environment["TMPDIR"]);

        // ulimit -v is in KiB, -f in 512-byte blocks (dash) or KiB: compare what is certain.
        var limits = Line(report, "LIMITS ").Split(' ');
        Assert.Equal((700 * 1024).ToString(CultureInfo.InvariantCulture), limits[0]);
        Assert.Equal("4", limits[1]);
        Assert.NotEqual("unlimited", limits[2]);
        Assert.Equal("0", limits[3]);

        // The workspace, the converter's HOME and TMPDIR are 0700, the decrypted document 0600.
        Assert.Equal(["700", "600", "700", "700"], Line(report, "MODES ").Split(' '));

        // And it is gone.
        Assert.False(Directory.Exists(workspace));
    }

    [Fact]
    public async Task TimeLimit_KillsTheWholeProcessGroup_OrphansIncluded()
    {
        var message = await _host.IngestAsync(TestDocuments.Message(Recipient, ("a.pdf", "application/pdf", TestDocuments.Pdf(1, _ => "LEAVE-AN-ORPHAN"))));

        Assert.Equal(new PreviewOutcome.Unavailable(PreviewUnavailableReason.CannotPreview), await PrepareAsync(_host, message.Id, 0));

        var orphan = int.Parse(File.ReadAllText(_shared.OrphanFile).Trim(), CultureInfo.InvariantCulture);
        Assert.True(IsGone(orphan), $"process {orphan}, started by the converter and orphaned, outlived the time limit");
        Assert.Empty(ProcessesMentioning(_shared.WorkDirectory));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_shared.WorkDirectory));
    }

    private static string Line(string[] report, string prefix) =>
        Assert.Single(report, l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..];

    /// <summary>Gone, or a zombie waiting for a parent that will never reap it (no init reaps in some containers).</summary>
    private static bool IsGone(int pid)
    {
        for (var attempt = 0; attempt < 40; attempt++)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                if (stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z'))
                {
                    return true;
                }
            }
            catch (IOException)
            {
                return true;
            }

            Thread.Sleep(50);
        }

        return false;
    }
}

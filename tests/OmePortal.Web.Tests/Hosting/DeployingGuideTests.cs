using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using Npgsql;
using OmePortal.Testing;
using Xunit.Abstractions;

namespace OmePortal.Web.Tests.Hosting;

/// <summary>
/// docs/deploying.md, run as an operator would on this machine: publish, the master key, the database, the
/// configuration file, the systemd unit (checked by systemd-analyze), start, a message in, backup, a lost
/// server restored, both key rotations and an upgrade, with the message still readable by its recipient after
/// each step. The guide's server paths move under a temporary root, <c>sudo -u x</c> becomes the PostgreSQL
/// role x, <c>systemctl start/stop</c> starts and stops the published portal with the guide's environment
/// file, and a few lines appended to that file point the portal at this machine's test ports, the test
/// PostgreSQL and a pickup directory instead of a mail server.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class DeployingGuideTests(ITestOutputHelper output) : IDisposable
{
    private const string Secret = "Routing number 0451-7782, sealed for the deploying guide.";

    private readonly string _root = TestEnvironment.NewTempDirectory("omeportal-guide");
    private readonly int _httpPort = TestEnvironment.FreePort();
    private readonly int _smtpPort = TestEnvironment.FreePort();
    private readonly DeployingGuide _guide = DeployingGuide.Load();
    private PortalProcess? _portal;
    private string _lastOutput = string.Empty;
    private RecipientBrowserlessClient? _reader;

    private string StateDirectory => _root + "/var/lib/omeportal";

    private string Outbox => Path.Combine(_root, "outbox");

    private string BaseUrl => $"http://127.0.0.1:{_httpPort}";

    [Fact]
    public async Task Guide_FromPublishToUpgrade_RunsAsWritten()
    {
        await DropDatabaseAndRoleAsync();

        await RunAsync("publish");
        Assert.True(File.Exists(_root + "/opt/omeportal/OmePortal.Web.dll"), "The publish step made no OmePortal.Web.dll.");

        await RunAsync("key");
        var key = _root + "/etc/omeportal/master.key";
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        Assert.Equal(32, Convert.FromBase64String(File.ReadAllText(key).Trim()).Length);

        await RunAsync("database");
        WriteConfiguration();
        await VerifyUnitAsync();

        await RunAsync("start");
        var apiKeyFile = Path.Combine(StateDirectory, "initial-api-key.txt");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(apiKeyFile));
        var message = await PortalIngest.IngestAsync(BaseUrl, File.ReadAllText(apiKeyFile).Trim(), Mime());
        await AssertReadableAsync(message);

        await RunAsync("backup");
        await LoseTheServerAsync();
        await RunAsync("restore");
        await AssertReadableAsync(message);

        await RunAsync("rotate-tenant-key");
        var oldKey = await File.ReadAllTextAsync(key);
        await RunAsync("rotate-master-key");
        Assert.NotEqual(oldKey, await File.ReadAllTextAsync(key));
        await AssertReadableAsync(message);

        await RunAsync("upgrade");
        Assert.True(Directory.Exists(_root + "/opt/omeportal.old"), "The upgrade kept no previous version to go back to.");
        await AssertReadableAsync(message);
    }

    /// <summary>
    /// Runs the guide's block: shell lines through bash (stopping at the first failure), <c>systemctl</c> lines as
    /// starting and stopping the portal process.
    /// </summary>
    private async Task RunAsync(string block)
    {
        output.WriteLine($"--- guide:{block}");
        var script = new StringBuilder();
        foreach (var line in DeployingGuide.Relocate(_guide.Block(block), _root).Split('\n'))
        {
            if (SystemCtl().Match(line) is { Success: true } systemctl)
            {
                await RunShellAsync(script.ToString(), block);
                script.Clear();
                await ServiceAsync(systemctl.Groups["verb"].Value);
                continue;
            }

            var adapted = SudoAs().Replace(line, "env PGUSER=$1 ");
            adapted = ChangeOwner().Replace(adapted, $"chown {Id("-u")}:{Id("-g")} ");
            adapted = ChangeGroup().Replace(adapted, $"chgrp {Id("-g")} ");
            adapted = adapted.Replace("127.0.0.1:5080", $"127.0.0.1:{_httpPort}", StringComparison.Ordinal);
            script.AppendLine(adapted);
        }

        await RunShellAsync(script.ToString(), block);
    }

    private async Task ServiceAsync(string verb)
    {
        output.WriteLine($"systemctl {verb}");
        switch (verb)
        {
            case "daemon-reload":
                return;
            case "stop":
                if (_portal is { } running)
                {
                    await running.StopAsync(TimeSpan.FromSeconds(30));
                    running.Dispose();
                    _portal = null;
                }

                return;
            case "enable --now" or "start":
                _portal = StartPortal();
                try
                {
                    await _portal.WaitReadyAsync(TimeSpan.FromSeconds(120));
                }
                catch (Exception exception) when (exception is TimeoutException or InvalidOperationException)
                {
                    throw new Xunit.Sdk.XunitException($"The portal did not start as the guide runs it: {exception.Message}\n{_portal.Log}");
                }

                return;
            default:
                throw new InvalidOperationException($"The guide uses 'systemctl {verb}', which this test does not know.");
        }
    }

    /// <summary>The published portal, with exactly the environment systemd would give it from the guide's file.</summary>
    private PortalProcess StartPortal()
    {
        var portal = new PortalProcess(StateDirectory, _httpPort, _smtpPort, "unused", _root + "/opt/omeportal")
        {
            Application = _root + "/opt/omeportal/OmePortal.Web.dll",
        };
        portal.Settings.Clear();
        foreach (var line in File.ReadAllLines(_root + "/etc/omeportal/omeportal.env"))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            portal.Settings[line[..equals]] = line[(equals + 1)..].Trim('"');
        }

        portal.Start();
        return portal;
    }

    private async Task RunShellAsync(string script, string block)
    {
        if (string.IsNullOrWhiteSpace(script))
        {
            return;
        }

        var server = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresServer);
        var start = new ProcessStartInfo("bash") { WorkingDirectory = DeployingGuide.RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-euo");
        start.ArgumentList.Add("pipefail");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.Environment["PGHOST"] = server.Host;
        start.Environment["PGPORT"] = server.Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["PGUSER"] = server.Username;
        // Its own build slot: the tests' build of this tree is in use while they run.
        start.Environment["OME_BUILD_SLOT"] = "deploying-guide";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        _lastOutput = await stdout + await stderr;
        output.WriteLine(_lastOutput.Length > 4000 ? _lastOutput[^4000..] : _lastOutput);
        Assert.True(process.ExitCode == 0, $"guide:{block} failed with exit code {process.ExitCode}:\n{script}\n{_lastOutput}\n{_portal?.Log}");
    }

    /// <summary>The guide's configuration file, and after it what points the portal at this machine instead of a real one.</summary>
    private void WriteConfiguration()
    {
        var server = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresServer);
        var file = _root + "/etc/omeportal/omeportal.env";
        var configuration = DeployingGuide.Relocate(_guide.Block("config"), _root);
        Assert.Contains("ASPNETCORE_ENVIRONMENT=Production", configuration, StringComparison.Ordinal);
        File.WriteAllText(file, configuration + $"""
            # Test overrides: this machine's ports, the test PostgreSQL, mail to a pickup directory.
            ASPNETCORE_URLS=http://127.0.0.1:{_httpPort}
            OmePortal__Database__ConnectionString="Host={server.Host};Port={server.Port};Database=omeportal;Username=omeportal;Pooling=false"
            OmePortal__Smtp__Port={_smtpPort}
            OmePortal__Notifications__Delivery=Pickup
            OmePortal__Notifications__AllowPickupInProduction=true
            OmePortal__Notifications__PickupDirectory={Outbox}

            """);
    }

    /// <summary>The unit as systemd reads it: no unknown key, no missing program (its paths are the real ones).</summary>
    private async Task VerifyUnitAsync()
    {
        var unit = Path.Combine(_root, "omeportal.service");
        await File.WriteAllTextAsync(unit, _guide.Block("unit"));
        var start = new ProcessStartInfo("systemd-analyze") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("verify");
        start.ArgumentList.Add(unit);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception) when (Environment.GetEnvironmentVariable("CI") != "true")
        {
            output.WriteLine("systemd-analyze is not installed: the unit was not verified.");
            return;
        }

        using (process)
        {
            var errors = await process.StandardError.ReadToEndAsync() + await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0 && errors.Trim().Length == 0, $"systemd-analyze verify: exit {process.ExitCode}\n{errors}");
        }

        var text = _guide.Block("unit");
        foreach (var required in new[] { "User=omeportal", "ProtectSystem=strict", "StateDirectory=omeportal", "EnvironmentFile=/etc/omeportal/omeportal.env", "NoNewPrivileges=true" })
        {
            Assert.Contains(required, text, StringComparison.Ordinal);
        }
    }

    /// <summary>The server is gone: its database and state directory are empty, as on a fresh replacement.</summary>
    private async Task LoseTheServerAsync()
    {
        await ServiceAsync("stop");
        await using (var connection = new NpgsqlConnection(TestEnvironment.PostgresServer))
        {
            await connection.OpenAsync();
            foreach (var statement in new[] { "DROP DATABASE omeportal WITH (FORCE)", "CREATE DATABASE omeportal OWNER omeportal" })
            {
                await using var command = new NpgsqlCommand(statement, connection);
                await command.ExecuteNonQueryAsync();
            }
        }

        Directory.Delete(StateDirectory, recursive: true);
        Directory.CreateDirectory(StateDirectory);
    }

    /// <summary>
    /// The recipient reads the message. They sign in once (a passcode from the pickup directory); after that the same
    /// session must keep working: it lives in the database, and its cookie is signed with the key ring there.
    /// </summary>
    private async Task AssertReadableAsync(IngestedMessage message)
    {
        try
        {
            _reader ??= await new RecipientBrowserlessClient(BaseUrl, Outbox).SignInFromLinkAsync(message.Link);
            var body = await _reader.Http.GetStringAsync($"/messages/{message.Id}/body");
            Assert.Contains(Secret, body, StringComparison.Ordinal);
        }
        catch (Exception exception) when (exception is InvalidOperationException or HttpRequestException or TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"The recipient could not read the message: {exception.Message}\n{_portal?.Log}");
        }
    }

    private static byte[] Mime()
    {
        var mail = new MimeMessage();
        mail.From.Add(new MailboxAddress("Treasury", "treasury@example.com"));
        mail.To.Add(new MailboxAddress("Client", "client@example.net"));
        mail.Subject = "Payment details";
        mail.Body = new TextPart("plain") { Text = Secret };
        using var stream = new MemoryStream();
        mail.WriteTo(stream);
        return stream.ToArray();
    }

    private static async Task DropDatabaseAndRoleAsync()
    {
        await using var connection = new NpgsqlConnection(TestEnvironment.PostgresServer);
        await connection.OpenAsync();
        foreach (var statement in new[] { "DROP DATABASE IF EXISTS omeportal WITH (FORCE)", "DROP ROLE IF EXISTS omeportal" })
        {
            await using var drop = new NpgsqlCommand(statement, connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    private static string Id(string flag)
    {
        using var process = Process.Start(new ProcessStartInfo("id", flag) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var value = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return value;
    }

    public void Dispose()
    {
        _reader?.Dispose();
        _portal?.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"^systemctl (?<verb>daemon-reload|enable --now|start|stop)(?: omeportal)?\s*$")]
    private static partial Regex SystemCtl();

    [GeneratedRegex(@"sudo -u (\S+) ")]
    private static partial Regex SudoAs();

    [GeneratedRegex(@"chown \S+ ")]
    private static partial Regex ChangeOwner();

    [GeneratedRegex(@"chgrp \S+ ")]
    private static partial Regex ChangeGroup();
}

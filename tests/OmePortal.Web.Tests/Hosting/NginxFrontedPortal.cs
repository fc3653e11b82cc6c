using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Hosting;

/// <summary>
/// The real portal process (Production) behind Debian's nginx, running the site of docs/deploying.md, which
/// terminates TLS with a throwaway certificate for <c>portal.test</c> and connects to the portal from <see cref="ProxyAddress"/>, the only
/// address the portal trusts forwarded headers from. nginx runs with its own prefix, config, pid and logs
/// in a temporary directory and is stopped with the fixture.
/// </summary>
public sealed class NginxFrontedPortal : IAsyncLifetime
{
    public const string PublicHost = "portal.test";
    public const string ProviderName = "acme";

    /// <summary>nginx's source address towards the portal (<c>proxy_bind</c>).</summary>
    public static readonly IPAddress ProxyAddress = IPAddress.Parse("127.0.0.9");

    private readonly string _directory = TestEnvironment.NewTempDirectory("omeportal-nginx");
    private Process? _nginx;
    private X509Certificate2? _certificate;

    public static string NginxPath => Environment.GetEnvironmentVariable("OMEPORTAL_NGINX") is { Length: > 0 } path ? path : "/usr/sbin/nginx";

    public int HttpsPort { get; } = TestEnvironment.FreePort();

    public PortalProcess Portal { get; private set; } = null!;

    public LocalOidcProvider Idp { get; private set; } = null!;

    public string PublicBaseUrl => $"https://{PublicHost}:{HttpsPort}";

    /// <summary>Sign-in requests a client may make per minute (small, so a test reaches the limit quickly).</summary>
    public int PermitPerMinute => 3;

    public async Task InitializeAsync()
    {
        Idp = await LocalOidcProvider.StartAsync();
        var data = Path.Combine(_directory, "data");
        Portal = new PortalProcess(data, TestEnvironment.FreePort(), TestEnvironment.FreePort(), "omp_test_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24)), _directory);
        var settings = Portal.Settings;
        settings["OmePortal__PublicBaseUrl"] = PublicBaseUrl;
        settings["OmePortal__Hosting__KnownProxies__0"] = ProxyAddress.ToString();
        // The test's own readiness probe talks to the portal directly by address.
        settings["OmePortal__Hosting__AllowedHosts__0"] = "127.0.0.1";
        settings["OmePortal__Passcodes__RequestsPerMinutePerClient"] = PermitPerMinute.ToString(CultureInfo.InvariantCulture);
        settings[$"OmePortal__ExternalSignIn__Providers__{ProviderName}__DisplayName"] = "Acme ID";
        settings[$"OmePortal__ExternalSignIn__Providers__{ProviderName}__Authority"] = Idp.Issuer;
        settings[$"OmePortal__ExternalSignIn__Providers__{ProviderName}__ClientId"] = "omeportal-test";
        settings[$"OmePortal__ExternalSignIn__Providers__{ProviderName}__ClientSecret"] = "local-test-secret";
        // Only because the local provider speaks plain http on loopback.
        settings[$"OmePortal__ExternalSignIn__Providers__{ProviderName}__RequireHttpsMetadata"] = "false";
        Portal.Start();
        try
        {
            await Portal.WaitReadyAsync(TimeSpan.FromSeconds(120));
        }
        catch (Exception exception) when (exception is TimeoutException or InvalidOperationException)
        {
            throw new InvalidOperationException($"{exception.Message}\n{Portal.Log}", exception);
        }

        StartNginx();
    }

    /// <summary>A client connecting to nginx from <paramref name="source"/> (a loopback address), trusting only the test certificate.</summary>
    public HttpClient CreateProxiedClient(IPAddress source) =>
        new(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectCallback = (_, token) => ConnectFromAsync(source, new IPEndPoint(IPAddress.Loopback, HttpsPort), token),
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && _certificate is not null && presented.GetCertHashString() == _certificate.GetCertHashString(),
            },
        })
        { BaseAddress = new Uri(PublicBaseUrl) };

    /// <summary>A client talking to the portal itself (not through nginx) from <paramref name="source"/>.</summary>
    public HttpClient CreateDirectClient(IPAddress source) =>
        new(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectCallback = (_, token) => ConnectFromAsync(source, new IPEndPoint(IPAddress.Loopback, Portal.HttpPort), token),
        })
        { BaseAddress = new Uri(Portal.BaseUrl) };

    private static async ValueTask<Stream> ConnectFromAsync(IPAddress source, IPEndPoint target, CancellationToken token)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(target, token);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void StartNginx()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={PublicHost}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(PublicHost);
        request.CertificateExtensions.Add(names.Build());
        using (var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1)))
        {
            _certificate = X509CertificateLoader.LoadCertificate(created.RawData);
            File.WriteAllText(Path.Combine(_directory, "cert.pem"), created.ExportCertificatePem());
        }

        File.WriteAllText(Path.Combine(_directory, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        Directory.CreateDirectory(Path.Combine(_directory, "logs"));
        Directory.CreateDirectory(Path.Combine(_directory, "temp"));
        var user = Environment.UserName == "root" ? "user root;" : string.Empty;
        File.WriteAllText(Path.Combine(_directory, "nginx.conf"), $$"""
            {{user}}
            worker_processes 1;
            pid {{_directory}}/nginx.pid;
            error_log {{_directory}}/logs/error.log info;
            events { worker_connections 64; }
            http {
                access_log {{_directory}}/logs/access.log;
                client_body_temp_path {{_directory}}/temp/body;
                proxy_temp_path {{_directory}}/temp/proxy;
                fastcgi_temp_path {{_directory}}/temp/fastcgi;
                uwsgi_temp_path {{_directory}}/temp/uwsgi;
                scgi_temp_path {{_directory}}/temp/scgi;
                {{SiteFromGuide()}}
            }
            """);
        var start = new ProcessStartInfo(NginxPath) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { "-p", _directory, "-c", Path.Combine(_directory, "nginx.conf"), "-g", "daemon off;" })
        {
            start.ArgumentList.Add(argument);
        }

        _nginx = Process.Start(start) ?? throw new InvalidOperationException("nginx did not start.");
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            if (_nginx.HasExited)
            {
                throw new InvalidOperationException($"nginx exited with {_nginx.ExitCode}: {_nginx.StandardError.ReadToEnd()} {ErrorLog()}");
            }

            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, HttpsPort);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>
    /// The nginx site of docs/deploying.md, so what the guide tells operators is what these tests put in front of
    /// the portal. Only what ties it to a real server changes: addresses and ports, the certificate, and
    /// <c>proxy_bind</c> (nginx's own source address, which the portal trusts).
    /// </summary>
    private string SiteFromGuide()
    {
        var site = DeployingGuide.Load().Block("nginx");
        string Replace(string text, string pattern, string replacement)
        {
            var changed = System.Text.RegularExpressions.Regex.Replace(text, pattern, replacement.Replace("$", "$$", StringComparison.Ordinal));
            return changed != text ? changed : throw new InvalidOperationException($"The nginx site of docs/deploying.md has no line matching '{pattern}'.");
        }

        site = Replace(site, @"listen 443 ssl", $"listen 127.0.0.1:{HttpsPort} ssl");
        site = Replace(site, @"listen 80;", $"listen 127.0.0.1:{TestEnvironment.FreePort()};");
        site = Replace(site, @"server_name secure\.example\.com;", $"server_name {PublicHost};");
        site = Replace(site, @"ssl_certificate /\S+;", $"ssl_certificate {_directory}/cert.pem;");
        site = Replace(site, @"ssl_certificate_key /\S+;", $"ssl_certificate_key {_directory}/key.pem;");
        return Replace(site, @"proxy_pass http://127\.0\.0\.1:5080;", $"proxy_pass http://127.0.0.1:{Portal.HttpPort};\n        proxy_bind {ProxyAddress};");
    }

    public string ErrorLog()
    {
        var path = Path.Combine(_directory, "logs", "error.log");
        return File.Exists(path) ? File.ReadAllText(path) : string.Empty;
    }

    public async Task DisposeAsync()
    {
        if (_nginx is { HasExited: false } nginx)
        {
            // SIGQUIT: nginx's graceful stop; the workers go with the master.
            using (var quit = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-QUIT", nginx.Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false }))
            {
                await quit!.WaitForExitAsync();
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await nginx.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                nginx.Kill(entireProcessTree: true);
            }
        }

        _nginx?.Dispose();
        _certificate?.Dispose();
        Portal?.Dispose();
        if (Idp is not null)
        {
            await Idp.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Azure.Storage.Blobs;
using MimeKit;
using OmePortal.Testing;
using Xunit.Abstractions;

namespace OmePortal.Web.Tests.Storage;

/// <summary>
/// The 25 MB target of bench/RESULTS.md (d) with blobs in Azure: the real portal as a process, its peak resident
/// set read from /proc while one 25 MB message goes in over REST and its ciphertext up to Azurite.
/// </summary>
public sealed class AzureBlobMemoryTests(ITestOutputHelper output)
{
    /// <remarks>Measured here (2026-12-07): 1.89x with Azurite against 1.51x with the file store in the same test, whose
    /// bench figure is 1.09x; the difference is the blob client's connections and request buffers, not the blob.</remarks>
    [Fact]
    public async Task Ingest_25MB_ToAzureBlob_PeaksBelowTwiceTheMessage()
    {
        var root = TestEnvironment.NewTempDirectory("omeportal-azure-memory");
        var container = TestEnvironment.NewAzureContainerName();
        var port = TestEnvironment.FreePort();
        using var portal = new PortalProcess(
            Directory.CreateDirectory(Path.Combine(root, "data")).FullName,
            port,
            TestEnvironment.FreePort(),
            "omp_memory_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24)),
            Directory.CreateDirectory(Path.Combine(root, "work")).FullName,
            new Dictionary<string, string>
            {
                ["OmePortal__Blobs__Provider"] = "AzureBlob",
                ["OmePortal__Blobs__AzureBlob__ConnectionString"] = TestEnvironment.AzuriteConnectionString,
                ["OmePortal__Blobs__AzureBlob__Container"] = container,
            });
        try
        {
            portal.Start();
            await portal.WaitReadyAsync(TimeSpan.FromSeconds(120));
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(2) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", portal.ApiKey);

            // Warm up the paths (JIT, pools, the blob client's connections) as bench/RESULTS.md (d) does, plus one message
            // of several blocks, then let the process settle.
            for (var i = 0; i < 20; i++)
            {
                await PostAsync(client, Message(1024));
            }

            await PostAsync(client, Message(3 * 1024 * 1024));
            await Task.Delay(2000);
            var message = Message(18 * 1024 * 1024); // 25 MB once base64-encoded
            File.WriteAllText($"/proc/{portal.ProcessId}/clear_refs", "5");
            var baseline = Status(portal, "VmRSS");
            await PostAsync(client, message);
            await Task.Delay(1000); // its notification is composed and written too
            var extra = Status(portal, "VmHWM") - baseline;

            output.WriteLine($"Message {message.Length / 1024} KiB; peak resident set grew {extra / 1024} KiB ({(double)extra / message.Length:F2}x the message).");
            Assert.True(message.Length > 25_000_000);
            Assert.True(extra < 2L * message.Length, $"The resident set grew by {extra / 1024} KiB for a {message.Length / 1024} KiB message (target < 2x).");
        }
        catch (Exception exception) when (exception is TimeoutException or InvalidOperationException)
        {
            throw new InvalidOperationException($"{exception.Message}\n{portal.Log}", exception);
        }
        finally
        {
            await new BlobContainerClient(TestEnvironment.AzuriteConnectionString, container).DeleteIfExistsAsync();
            portal.Dispose();
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static byte[] Message(int attachmentBytes)
    {
        var body = new BodyBuilder { TextBody = "A large attachment." };
        body.Attachments.Add("large.bin", RandomNumberGenerator.GetBytes(attachmentBytes), new ContentType("application", "octet-stream"));
        var message = new MimeMessage { Subject = "Large", Body = body.ToMessageBody() };
        message.From.Add(MailboxAddress.Parse("sender@contoso.test"));
        message.To.Add(MailboxAddress.Parse("reader@example.net"));
        return TestMessages.ToBytes(message);
    }

    private static async Task PostAsync(HttpClient client, byte[] mime)
    {
        var content = new ByteArrayContent(mime);
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        using var response = await client.PostAsync("/api/v1/messages", content);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"Ingest answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private static long Status(PortalProcess portal, string field)
    {
        foreach (var line in File.ReadAllLines($"/proc/{portal.ProcessId}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(field.Length + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"/proc/{portal.ProcessId}/status has no {field}.");
    }
}

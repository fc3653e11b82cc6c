using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using MimeKit;

namespace OmePortal.Testing;

/// <summary>A recipient of an ingested message and the link the portal made for it.</summary>
public sealed record IngestedRecipient(string Address, string Link)
{
    /// <summary>The link's token (the part after <c>/m/</c>).</summary>
    public string Token => Link[(Link.LastIndexOf("/m/", StringComparison.Ordinal) + 3)..];
}

/// <summary>What <c>POST /api/v1/messages</c> answered with 201: the message, its protection and one link per recipient.</summary>
public sealed record IngestedMessage(Guid Id, string Protection, DateTimeOffset? ExpiresAt, IReadOnlyList<IngestedRecipient> Recipients)
{
    /// <summary>The first recipient's link (for messages to one person).</summary>
    public string Link => Recipients[0].Link;

    /// <summary>The first recipient's address.</summary>
    public string Address => Recipients[0].Address;

    /// <summary>Each recipient's link by address (as the portal spelled the address).</summary>
    public IReadOnlyDictionary<string, string> Links => Recipients.ToDictionary(r => r.Address, r => r.Link);

    public string LinkFor(string address) =>
        Recipients.Single(r => string.Equals(r.Address, address, StringComparison.OrdinalIgnoreCase)).Link;
}

/// <summary>
/// The REST intake as a tenant's mail system calls it: raw MIME as <c>message/rfc822</c> with an API
/// key. One helper so every test, in-process (<see cref="PortalHost"/>) or a child process
/// (<see cref="PortalProcess"/>), sends the same request the product documents.
/// </summary>
public static class PortalIngest
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// POSTs <paramref name="mime"/> to <c>/api/v1/messages</c> (<paramref name="query"/> such as
    /// <c>?protection=DoNotForward&amp;expiresInDays=3</c>, empty for none) and returns the answer as is, its body buffered.
    /// </summary>
    public static async Task<HttpResponseMessage> PostAsync(string baseUrl, string apiKey, byte[] mime, string query = "")
    {
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(baseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using var content = new ByteArrayContent(mime);
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        var response = await client.PostAsync("/api/v1/messages" + query, content);

        // The answer outlives the client; read it before the client goes.
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    /// <summary>Ingests <paramref name="mime"/>; throws (failing the test) unless the portal answers 201 Created.</summary>
    public static async Task<IngestedMessage> IngestAsync(string baseUrl, string apiKey, byte[] mime, string query = "")
    {
        using var response = await PostAsync(baseUrl, apiKey, mime, query);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Ingest answered {(int)response.StatusCode} {response.StatusCode}, expected 201 Created: {body}");
        }

        return JsonSerializer.Deserialize<IngestedMessage>(body, Json)
            ?? throw new InvalidOperationException("Ingest answered an empty body.");
    }

    /// <summary>The query string for the intake's options (null: not sent).</summary>
    public static string Query(string? protection = null, int? expiresInDays = null)
    {
        var parts = new List<string>();
        if (protection is not null)
        {
            parts.Add("protection=" + Uri.EscapeDataString(protection));
        }

        if (expiresInDays is { } days)
        {
            parts.Add("expiresInDays=" + days.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return parts.Count > 0 ? "?" + string.Join('&', parts) : string.Empty;
    }

    public static byte[] Sample(string sample) => File.ReadAllBytes(TestEnvironment.SamplePath(sample));
}

public sealed partial class PortalHost
{
    /// <summary>POSTs <paramref name="mime"/> to the intake with this host's API key (or <paramref name="apiKey"/>) and returns the answer as is.</summary>
    public Task<HttpResponseMessage> PostMessageAsync(byte[] mime, string query = "", string? apiKey = null) =>
        PortalIngest.PostAsync(BaseUrl, apiKey ?? ApiKey, mime, query);

    /// <summary>Ingests <paramref name="mime"/>; throws (failing the test) unless the portal answers 201 Created.</summary>
    public Task<IngestedMessage> IngestAsync(byte[] mime, string query = "") => PortalIngest.IngestAsync(BaseUrl, ApiKey, mime, query);

    public Task<IngestedMessage> IngestAsync(MimeMessage message, string query = "") => IngestAsync(TestMessages.ToBytes(message), query);

    /// <summary>Ingests one of the sample messages in tests/samples.</summary>
    public Task<IngestedMessage> IngestSampleAsync(string sample, string query = "") => IngestAsync(PortalIngest.Sample(sample), query);

    /// <summary>The query string for the intake's options (null: not sent).</summary>
    public static string IngestQuery(string? protection = null, int? expiresInDays = null) => PortalIngest.Query(protection, expiresInDays);
}

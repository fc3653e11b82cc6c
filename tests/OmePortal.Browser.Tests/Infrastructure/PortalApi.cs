using System.Net.Http.Headers;
using System.Text.Json;
using MimeKit;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests.Infrastructure;

public sealed record IngestedRecipient(string Address, string Link);

public sealed record IngestedMessage(Guid Id, string Protection, IReadOnlyList<IngestedRecipient> Recipients)
{
    public string LinkFor(string address) =>
        Recipients.Single(r => string.Equals(r.Address, address, StringComparison.OrdinalIgnoreCase)).Link;
}

/// <summary>The tenant's side: POST /api/v1/messages with a raw message, as a mail system would.</summary>
public static class PortalApi
{
    public static async Task<IngestedMessage> IngestAsync(PortalHost host, MimeMessage message, string? protection = null, int? expiresInDays = null) =>
        await IngestAsync(host, TestMessages.ToBytes(message), protection, expiresInDays);

    public static async Task<IngestedMessage> IngestAsync(PortalHost host, byte[] mime, string? protection = null, int? expiresInDays = null)
    {
        using var client = host.CreateApiClient();
        var query = new List<string>();
        if (protection is not null)
        {
            query.Add("protection=" + Uri.EscapeDataString(protection));
        }

        if (expiresInDays is { } days)
        {
            query.Add("expiresInDays=" + days.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var content = new ByteArrayContent(mime);
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        using var response = await client.PostAsync("/api/v1/messages" + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty), content);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Ingest answered {(int)response.StatusCode}: {body}");
        }

        return JsonSerializer.Deserialize<IngestedMessage>(body, new JsonSerializerOptions(JsonSerializerDefaults.Web))
            ?? throw new InvalidOperationException("Ingest answered an empty body.");
    }
}

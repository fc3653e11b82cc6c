using MimeKit;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests.Infrastructure;

/// <summary>The tenant's side: POST /api/v1/messages with a raw message, as a mail system would (see <see cref="PortalHost.IngestAsync(byte[], string)"/>).</summary>
public static class PortalApi
{
    public static Task<IngestedMessage> IngestAsync(PortalHost host, MimeMessage message, string? protection = null, int? expiresInDays = null) =>
        host.IngestAsync(message, PortalHost.IngestQuery(protection, expiresInDays));

    public static Task<IngestedMessage> IngestAsync(PortalHost host, byte[] mime, string? protection = null, int? expiresInDays = null) =>
        host.IngestAsync(mime, PortalHost.IngestQuery(protection, expiresInDays));
}

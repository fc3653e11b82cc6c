using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace OmePortal.Web.Hosting;

/// <summary>Builds the absolute URLs that leave the portal in mail (recipient links).</summary>
public sealed class PublicUrls(IOptions<OmePortalOptions> options, IServer server)
{
    private string? _base;

    public string BaseUrl => _base ??= ResolveBase();

    public string RecipientLink(string token) => $"{BaseUrl}/m/{token}";

    private string ResolveBase()
    {
        var configured = options.Value.PublicBaseUrl;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured.TrimEnd('/');
        }

        // Fall back to the address Kestrel actually listens on (first one), so a fresh `dotnet run` gives working links.
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (string.IsNullOrEmpty(address))
        {
            return "http://localhost:5080";
        }

        return address.Replace("://[::]", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
            .Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal)
            .TrimEnd('/');
    }
}

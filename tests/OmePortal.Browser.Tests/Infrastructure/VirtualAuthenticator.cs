using System.Text.Json;
using Microsoft.Playwright;

namespace OmePortal.Browser.Tests.Infrastructure;

/// <summary>
/// Chromium's virtual WebAuthn authenticator (DevTools protocol, WebAuthn domain) on one page: a
/// platform authenticator with resident keys and user verification that answers by itself, so
/// passkey ceremonies run for real without a person or a device.
/// </summary>
public sealed class VirtualAuthenticator
{
    private readonly ICDPSession _session;
    private readonly string _id;

    private VirtualAuthenticator(ICDPSession session, string id)
    {
        _session = session;
        _id = id;
    }

    public static async Task<VirtualAuthenticator> AttachAsync(IBrowserContext context, IPage page)
    {
        var session = await context.NewCDPSessionAsync(page);
        await session.SendAsync("WebAuthn.enable");
        var added = await session.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object>
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2",
                ["transport"] = "internal",
                ["hasResidentKey"] = true,
                ["hasUserVerification"] = true,
                ["isUserVerified"] = true,
                ["automaticPresenceSimulation"] = true,
            },
        });
        var id = added?.GetProperty("authenticatorId").GetString() ?? throw new InvalidOperationException("No virtual authenticator was added.");
        return new VirtualAuthenticator(session, id);
    }

    /// <summary>The credentials the authenticator holds (id and sign count as it reports them).</summary>
    public async Task<IReadOnlyList<(string CredentialId, long SignCount, string RpId)>> CredentialsAsync()
    {
        var answer = await _session.SendAsync("WebAuthn.getCredentials", new Dictionary<string, object> { ["authenticatorId"] = _id });
        var list = new List<(string, long, string)>();
        if (answer is { } json && json.TryGetProperty("credentials", out var credentials))
        {
            foreach (var credential in credentials.EnumerateArray())
            {
                list.Add((credential.GetProperty("credentialId").GetString()!, credential.GetProperty("signCount").GetInt64(), credential.GetProperty("rpId").GetString()!));
            }
        }

        return list;
    }
}

using System.Security.Cryptography;

namespace OmePortal.Web.Hosting;

/// <summary>A per-request nonce for the few inline &lt;style&gt; blocks (brand colours) the CSP allows.</summary>
public static class CspNonce
{
    private const string Key = "omeportal.csp-nonce";

    public static string Get(HttpContext context)
    {
        if (context.Items[Key] is not string nonce)
        {
            nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            context.Items[Key] = nonce;
        }

        return nonce;
    }
}

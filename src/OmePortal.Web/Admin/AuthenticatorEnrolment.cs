using System.Text;
using Microsoft.AspNetCore.Identity;
using OmePortal.Data;
using QRCoder;

namespace OmePortal.Web.Admin;

/// <summary>
/// The authenticator app's shared secret as a QR code (an inline PNG data: URI, which the CSP allows as
/// an image) and as a key to type. The secret is Identity's authenticator key (base32, TOTP, 6 digits, 30 s).
/// </summary>
public sealed class AuthenticatorEnrolment(UserManager<AdminUser> users)
{
    public const string Issuer = "OmePortal";

    public async Task<(string Key, string QrDataUri)> GetOrCreateAsync(AdminUser user)
    {
        var key = await users.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrEmpty(key))
        {
            await users.ResetAuthenticatorKeyAsync(user);
            key = await users.GetAuthenticatorKeyAsync(user) ?? throw new InvalidOperationException("Identity made no authenticator key.");
        }

        var label = Uri.EscapeDataString($"{Issuer}:{user.Email}");
        var uri = $"otpauth://totp/{label}?secret={key}&issuer={Uri.EscapeDataString(Issuer)}&digits=6";
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        var png = new PngByteQRCode(data).GetGraphic(6);
        return (key, "data:image/png;base64," + Convert.ToBase64String(png));
    }

    /// <summary>The key in groups of four, easier to type.</summary>
    public static string Format(string key)
    {
        var result = new StringBuilder();
        for (var i = 0; i < key.Length; i += 4)
        {
            result.Append(key.AsSpan(i, Math.Min(4, key.Length - i))).Append(' ');
        }

        return result.ToString().TrimEnd().ToLowerInvariant();
    }
}

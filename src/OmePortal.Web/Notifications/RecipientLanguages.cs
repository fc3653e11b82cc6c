using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using OmePortal.Core.Branding;
using OmePortal.Core.Mime;
using OmePortal.Data;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Notifications;

/// <summary>
/// Which language a mail to a recipient should be in, when the sender did not decide it. The portal's
/// own knowledge wins over the message's: the language the recipient last used in the portal (kept per
/// address, see <see cref="RecipientLanguagePreference"/>), then the original message's
/// <c>Content-Language</c>, then (by returning null) the template's default language.
/// </summary>
public sealed class RecipientLanguages(MasterKeyHolder master, TimeProvider time)
{
    private readonly Lazy<byte[]> _key = new(() => master.Key.DeriveSubkey("omeportal/recipient-language/v1"));

    /// <summary>
    /// The supported language of the current request (the culture <c>UseRequestLocalization</c> chose
    /// for the page), or null when it is none of <see cref="BrandLanguages.Supported"/>.
    /// </summary>
    public static string? OfCurrentRequest() => BrandLanguages.Normalize(CultureInfo.CurrentUICulture.Name);

    /// <summary>Remembers that <paramref name="address"/> last used the portal in <paramref name="language"/>; unsupported languages are ignored.</summary>
    public async Task RememberAsync(OmePortalDbContext db, string address, string? language, CancellationToken cancellationToken)
    {
        if (BrandLanguages.Normalize(language) is not { } supported)
        {
            return;
        }

        var hash = AddressHash(address);
        var now = time.GetUtcNow();
        var updated = await db.RecipientLanguagePreferences.Where(p => p.AddressHash == hash)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.Language, supported).SetProperty(p => p.UpdatedAt, now), cancellationToken);
        if (updated > 0)
        {
            return;
        }

        var row = new RecipientLanguagePreference { AddressHash = hash, Language = supported, UpdatedAt = now };
        db.RecipientLanguagePreferences.Add(row);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // The same recipient signed in twice at once and the other request stored its language first:
            // either is as recent as the other, so that row stands.
            db.Entry(row).State = EntityState.Detached;
        }
    }

    /// <summary>The language <paramref name="address"/> last used in the portal, or null when it never did.</summary>
    public async Task<string?> RememberedAsync(OmePortalDbContext db, string address, CancellationToken cancellationToken)
    {
        var hash = AddressHash(address);
        var language = await db.RecipientLanguagePreferences.AsNoTracking()
            .Where(p => p.AddressHash == hash)
            .Select(p => p.Language)
            .SingleOrDefaultAsync(cancellationToken);
        return BrandLanguages.Normalize(language);
    }

    /// <summary>
    /// The first supported language of a <c>Content-Language</c> header value ("nl", "nl-BE, en"), or null.
    /// RFC 3282 lists the languages of the content; the first one the portal can write is the best guess.
    /// </summary>
    public static string? FromContentLanguage(string? header) =>
        header?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(BrandLanguages.Normalize)
            .FirstOrDefault(l => l is not null);

    /// <summary>The <c>Content-Language</c> of a stored original, read from its top-level headers only.</summary>
    public static async Task<string?> ContentLanguageOfAsync(Stream original, CancellationToken cancellationToken)
    {
        var headers = await HeaderList.LoadAsync(ParserOptions.Default, original, cancellationToken);
        return FromContentLanguage(headers[HeaderId.ContentLanguage]);
    }

    // A keyed hash, not the address: the row is only ever looked up with the address in hand, and should
    // say nothing about who used the portal once the messages to that address are gone.
    private byte[] AddressHash(string address) =>
        HMACSHA256.HashData(_key.Value, Encoding.UTF8.GetBytes(AddressNormalizer.Normalize(address)));
}

namespace OmePortal.Core.RecipientKeys;

public enum ParsedKeyKind
{
    Certificate = 0,
    OpenPgp = 1,
}

/// <summary>
/// One certificate or OpenPGP public key read from an uploaded file, in the form the directory stores:
/// <see cref="Data"/> is the DER certificate or the binary transferable public key.
/// </summary>
/// <param name="Addresses">Every address the key names, normalised (certificate: rfc822Name SANs and subject e-mail; OpenPGP: User IDs).</param>
/// <param name="Description">The certificate subject, or the first User ID.</param>
/// <param name="IsCertificateAuthority">A certificate with the CA basic constraint (a candidate trust anchor, never a recipient key).</param>
public sealed record ParsedKey(
    ParsedKeyKind Kind,
    string Fingerprint,
    byte[] Data,
    IReadOnlyList<string> Addresses,
    string Description,
    DateTimeOffset? NotAfter,
    bool IsCertificateAuthority);

public enum KeyFileError
{
    /// <summary>Larger than <see cref="KeyFileLimits.MaxBytes"/>.</summary>
    TooLarge = 0,

    /// <summary>Not a certificate, PKCS#7 bundle or OpenPGP public key the parser can read.</summary>
    Malformed = 1,

    /// <summary>An OpenPGP key with more User IDs than <see cref="KeyFileLimits.MaxUserIds"/>.</summary>
    TooManyUserIds = 2,

    /// <summary>More certificates or keys in one file than <see cref="KeyFileLimits.MaxKeys"/>.</summary>
    TooManyKeys = 3,

    /// <summary>An OpenPGP secret key or PKCS#12 file where a public key or certificate was expected.</summary>
    ContainsSecretKey = 4,

    /// <summary>The file holds nothing.</summary>
    Empty = 5,
}

/// <summary>The outcome of reading an uploaded key file: every key in it, or one refusal for the whole file (nothing is taken from a file that is refused).</summary>
public abstract record KeyFileResult
{
    private KeyFileResult()
    {
    }

    public sealed record Parsed(IReadOnlyList<ParsedKey> Keys) : KeyFileResult;

    public sealed record Refused(KeyFileError Error, string Detail) : KeyFileResult;
}

/// <summary>
/// Bounds on an uploaded key file. A real key with a photo is tens of kilobytes; a bundle of a few CA
/// certificates is less. The limits keep a hostile file (10 MB of armor, a key with thousands of User IDs
/// whose signatures would each be verified) from costing more than a normal one.
/// </summary>
public sealed record KeyFileLimits(int MaxBytes, int MaxUserIds, int MaxKeys)
{
    public static KeyFileLimits Default { get; } = new(MaxBytes: 512 * 1024, MaxUserIds: 100, MaxKeys: 100);
}

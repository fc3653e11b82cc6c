namespace OmePortal.Core.RecipientKeys;

/// <summary>Whether a directory key may be used to encrypt to its address now, and if not, the first reason found.</summary>
public enum KeyStatus
{
    Usable = 0,

    /// <summary>Past its end of validity (or not yet valid): certificate window, OpenPGP key or subkey expiry.</summary>
    Expired = 1,

    /// <summary>A certificate that does not chain to one of the tenant's trust anchors (or is self-signed where that is not allowed).</summary>
    Untrusted = 2,

    /// <summary>An OpenPGP key (or the User ID naming the address) revoked by its owner.</summary>
    Revoked = 3,

    /// <summary>The key does not name the address it is bound to.</summary>
    WrongAddress = 4,

    /// <summary>No key that may encrypt: no valid encryption subkey, or a certificate whose key usage forbids it.</summary>
    NoEncryptionKey = 5,
}

/// <summary>The outcome of a usability check: a status and a short English reason (for the API and logs; pages show the status in the reader's language with this detail).</summary>
public sealed record KeyCheck(KeyStatus Status, string Reason)
{
    public bool IsUsable => Status == KeyStatus.Usable;

    public static KeyCheck Usable(string reason) => new(KeyStatus.Usable, reason);
}

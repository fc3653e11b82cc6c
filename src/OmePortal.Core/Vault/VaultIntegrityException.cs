namespace OmePortal.Core.Vault;

/// <summary>
/// Ciphertext or a wrapped key failed authentication: it was tampered with, truncated, extended,
/// reordered, swapped from another message/tenant/purpose, or it is being opened with the wrong
/// key or context. No plaintext from the failing part is ever released.
/// </summary>
/// <remarks>
/// The message deliberately says nothing about which check failed or about key material: to a
/// caller every one of these cases means the same thing (the data cannot be trusted), and a more
/// precise answer would only help an attacker probing the format.
/// </remarks>
public sealed class VaultIntegrityException : Exception
{
    private const string DefaultMessage = "The encrypted data failed authentication (tampered, truncated, or opened with the wrong key or context).";

    /// <summary>Creates the exception with the default message.</summary>
    public VaultIntegrityException()
        : base(DefaultMessage)
    {
    }

    /// <summary>Creates the exception with a message (which must not contain key material).</summary>
    public VaultIntegrityException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the underlying cryptographic failure.</summary>
    public VaultIntegrityException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

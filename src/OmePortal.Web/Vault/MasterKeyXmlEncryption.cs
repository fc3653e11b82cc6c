using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using OmePortal.Core.Vault;

namespace OmePortal.Web.Vault;

/// <summary>
/// Encrypts the secret of each Data Protection key (the key that signs admin and recipient cookies and
/// antiforgery tokens) before it is stored in the database: AES-256-GCM under a key derived with HKDF
/// from the master key (label <see cref="Label"/>). Whoever reads a database backup without the master
/// key cannot mint a cookie.
/// </summary>
/// <remarks>
/// Stored form: <c>&lt;omeportalEncryptedKey version="1" alg="AES-256-GCM" kdf="HKDF-SHA256"&gt;base64(nonce ‖ ciphertext ‖ tag)&lt;/omeportalEncryptedKey&gt;</c>;
/// the plaintext is the framework's XML element as UTF-8, the associated data is <see cref="Label"/>, so a
/// blob cannot be moved to another use of the same key. Master key rotation re-encrypts these elements
/// (<see cref="MasterKeyRotation"/>).
/// </remarks>
public sealed class MasterKeyXmlEncryptor(MasterKeyHolder master) : IXmlEncryptor
{
    public const string ElementName = "omeportalEncryptedKey";
    public const string Label = "omeportal/dataprotection/v1";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        ArgumentNullException.ThrowIfNull(plaintextElement);
        return new EncryptedXmlInfo(Seal(master.Key, plaintextElement), typeof(MasterKeyXmlDecryptor));
    }

    /// <summary>Encrypts <paramref name="plaintextElement"/> under <paramref name="key"/>.</summary>
    public static XElement Seal(MasterKey key, XElement plaintextElement)
    {
        byte[] plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        byte[] subkey = key.DeriveSubkey(Label);
        try
        {
            var sealedBytes = new byte[NonceSize + plaintext.Length + TagSize];
            var nonce = sealedBytes.AsSpan(0, NonceSize);
            RandomNumberGenerator.Fill(nonce);
            using var aes = new AesGcm(subkey, TagSize);
            aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length), Encoding.UTF8.GetBytes(Label));
            return new XElement(ElementName,
                new XAttribute("version", "1"),
                new XAttribute("alg", "AES-256-GCM"),
                new XAttribute("kdf", "HKDF-SHA256"),
                Convert.ToBase64String(sealedBytes));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(subkey);
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>Decrypts an element made by <see cref="Seal"/>.</summary>
    /// <exception cref="VaultIntegrityException">Another master key, a changed blob, or not our format.</exception>
    public static XElement Open(MasterKey key, XElement encryptedElement)
    {
        if (encryptedElement.Name.LocalName != ElementName || (string?)encryptedElement.Attribute("version") != "1")
        {
            throw new VaultIntegrityException("The Data Protection key is not in the portal's encrypted format.");
        }

        byte[] sealedBytes;
        try
        {
            sealedBytes = Convert.FromBase64String(encryptedElement.Value);
        }
        catch (FormatException)
        {
            throw new VaultIntegrityException("The encrypted Data Protection key is not base64.");
        }

        if (sealedBytes.Length < NonceSize + TagSize)
        {
            throw new VaultIntegrityException("The encrypted Data Protection key is truncated.");
        }

        var length = sealedBytes.Length - NonceSize - TagSize;
        var plaintext = new byte[length];
        byte[] subkey = key.DeriveSubkey(Label);
        try
        {
            using var aes = new AesGcm(subkey, TagSize);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, length), sealedBytes.AsSpan(NonceSize + length), plaintext, Encoding.UTF8.GetBytes(Label));
            return XElement.Parse(Encoding.UTF8.GetString(plaintext));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new VaultIntegrityException("The Data Protection key ring was encrypted under another master key, or was changed.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(subkey);
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}

/// <summary>The framework creates this by type name when it reads the key ring; it asks the container for the master key.</summary>
public sealed class MasterKeyXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        ArgumentNullException.ThrowIfNull(encryptedElement);
        return MasterKeyXmlEncryptor.Open(services.GetRequiredService<MasterKeyHolder>().Key, encryptedElement);
    }
}

using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;

namespace OmePortal.Core.Vault;

/// <summary>
/// The 256-bit root of the key hierarchy (master key → tenant keys → message keys → blobs).
/// It only ever wraps tenant keys (AES-256 KWP), so replacing it with a KMS/HSM later means
/// re-wrapping a handful of tenant keys, never re-encrypting content.
/// </summary>
/// <remarks>
/// <para>Comes from configuration (<c>OmePortal:Vault:MasterKey</c>, base64) via
/// <see cref="FromBase64"/>, or from a key file created on first run via <see cref="LoadOrCreate"/>.
/// The file is created with owner-only permissions <em>at creation time</em> (no window in which
/// another user could open it), written to a temporary name and then moved into place, so a
/// concurrent reader never sees a half-written key and two processes starting together agree on
/// one key.</para>
/// <para>The key bytes live in a pinned array (the GC never leaves copies behind), are zeroed on
/// <see cref="Dispose"/>, and <see cref="ToString"/> never reveals them: keys must not reach logs.</para>
/// </remarks>
public sealed class MasterKey : IDisposable
{
    /// <summary>Key size: 32 bytes (AES-256).</summary>
    public const int KeySizeInBytes = 32;

    private readonly byte[] _key;
    private bool _disposed;

    private MasterKey(ReadOnlySpan<byte> key)
    {
        _key = GC.AllocateArray<byte>(KeySizeInBytes, pinned: true);
        key.CopyTo(_key);
    }

    /// <summary>Creates a new random master key (for tests and tools; production uses <see cref="LoadOrCreate"/> or configuration).</summary>
    public static MasterKey Generate()
    {
        Span<byte> key = stackalloc byte[KeySizeInBytes];
        try
        {
            RandomNumberGenerator.Fill(key);
            return new MasterKey(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Reads a master key from its base64 configuration value (surrounding whitespace is ignored).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="b64"/> is null.</exception>
    /// <exception cref="ArgumentException">The value is not base64, or does not decode to exactly 32 bytes.</exception>
    public static MasterKey FromBase64(string b64)
    {
        ArgumentNullException.ThrowIfNull(b64);
        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64String(b64.Trim());
        }
        catch (FormatException)
        {
            throw new ArgumentException("The vault master key is not valid base64; it must be 32 random bytes (256 bits) encoded as base64.", nameof(b64));
        }

        try
        {
            if (decoded.Length != KeySizeInBytes)
            {
                throw new ArgumentException(
                    $"The vault master key must be 32 bytes (256 bits) encoded as base64; the value decodes to {decoded.Length} bytes.",
                    nameof(b64));
            }

            return new MasterKey(decoded);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(decoded);
        }
    }

    /// <summary>
    /// Loads the master key from the key file at <paramref name="path"/>, or creates that file with a
    /// new random key (base64 text, permissions 0600 on Unix, its directory 0700 if it had to be created).
    /// </summary>
    /// <exception cref="InvalidDataException">The file exists but does not hold a base64 256-bit key.</exception>
    public static MasterKey LoadOrCreate(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath = Path.GetFullPath(path);
        if (File.Exists(fullPath))
        {
            return LoadFile(fullPath);
        }

        string directory = Path.GetDirectoryName(fullPath)
            ?? throw new ArgumentException("The master key path has no directory.", nameof(path));
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        Span<byte> key = stackalloc byte[KeySizeInBytes];
        Span<byte> text = stackalloc byte[Base64.GetMaxEncodedToUtf8Length(KeySizeInBytes) + 1];
        string tempPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            RandomNumberGenerator.Fill(key);
            Base64.EncodeToUtf8(key, text, out _, out int textLength);
            text[textLength++] = (byte)'\n';

            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var file = new FileStream(tempPath, options))
            {
                file.Write(text[..textLength]);
                file.Flush(flushToDisk: true);
            }

            try
            {
                // Not overwriting: if another process created the key meanwhile, its key wins.
                File.Move(tempPath, fullPath, overwrite: false);
            }
            catch (IOException) when (File.Exists(fullPath))
            {
                return LoadFile(fullPath);
            }

            return new MasterKey(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(text);
            if (File.Exists(tempPath))
            {
                File.Delete(tempPath);
            }
        }
    }

    /// <summary>Loads the master key from an existing key file (never creates one: for a key made elsewhere, such as the new key of a rotation).</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file does not hold a base64 256-bit key.</exception>
    public static MasterKey Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"There is no master key file at '{fullPath}'.", fullPath);
        }

        return LoadFile(fullPath);
    }

    /// <summary>True when both keys are the same bytes (compared in constant time).</summary>
    public bool SameKeyAs(MasterKey other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return CryptographicOperations.FixedTimeEquals(KeyBytes, other.KeyBytes);
    }

    private static MasterKey LoadFile(string fullPath)
    {
        byte[] content = File.ReadAllBytes(fullPath);
        Span<byte> key = stackalloc byte[Base64.GetMaxDecodedFromUtf8Length(64)];
        try
        {
            ReadOnlySpan<byte> trimmed = content.AsSpan().Trim(" \t\r\n"u8);
            int consumed = 0, written = 0;
            OperationStatus status = trimmed.Length <= 64
                ? Base64.DecodeFromUtf8(trimmed, key, out consumed, out written)
                : OperationStatus.InvalidData;
            if (status != OperationStatus.Done || consumed != trimmed.Length || written != KeySizeInBytes)
            {
                throw new InvalidDataException(
                    $"The vault master key file '{fullPath}' does not hold a 256-bit key as base64 (32 random bytes). Fix or remove the file; removing it loses access to everything encrypted under it.");
            }

            return new MasterKey(key[..KeySizeInBytes]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(content);
            CryptographicOperations.ZeroMemory(key);
        }
    }

    internal ReadOnlySpan<byte> KeyBytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _key;
        }
    }

    /// <summary>
    /// A key for another purpose (e.g. keyed hashes), derived with HKDF-SHA256 so that the master key
    /// itself is only ever used for key wrapping. Different labels give independent keys.
    /// </summary>
    public byte[] DeriveSubkey(string label, int length = 32)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, length, salt: [], info: System.Text.Encoding.UTF8.GetBytes(label));
    }

    /// <summary>Never reveals key bytes.</summary>
    public override string ToString() => "MasterKey(redacted)";

    /// <summary>Zeroes the key.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_key);
        _disposed = true;
    }
}

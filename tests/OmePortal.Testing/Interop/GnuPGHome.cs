namespace OmePortal.Testing.Interop;

/// <summary>The result of <c>gpg --decrypt</c>: the plaintext and gpg's machine-readable status lines.</summary>
public sealed record GpgDecryption(byte[] Plaintext, string Status)
{
    /// <summary>gpg checked a signature and it verified (GOODSIG plus VALIDSIG).</summary>
    public bool GoodSignature => Status.Contains("[GNUPG:] GOODSIG ", StringComparison.Ordinal) && Status.Contains("[GNUPG:] VALIDSIG ", StringComparison.Ordinal);
}

/// <summary>
/// A throwaway GnuPG home (Debian's gpg, run with <c>--homedir DIR --batch</c>): generates keys the way a
/// person would (<c>--quick-gen-key</c>), exports them, and decrypts what the portal sent.
/// </summary>
public sealed class GnuPGHome : IDisposable
{
    private GnuPGHome(string directory) => Directory = directory;

    public string Directory { get; }

    public static GnuPGHome Create()
    {
        // Short path: gpg-agent's socket lives in the home and Unix socket paths are limited to ~100 bytes.
        // CreateTempSubdirectory makes it 0700, which gpg requires of a home.
        var directory = System.IO.Directory.CreateTempSubdirectory("gpg").FullName;
        return new GnuPGHome(directory);
    }

    /// <summary>Generates an unprotected key (ed25519 signing primary, cv25519 encryption subkey) and returns its fingerprint.</summary>
    public string GenerateKey(string userId, string algorithm = "future-default")
    {
        Gpg("--passphrase", "", "--pinentry-mode", "loopback", "--quick-gen-key", userId, algorithm, "default", "never");
        var listing = Gpg("--with-colons", "--list-keys", userId).OutputText;
        return listing.Split('\n').First(line => line.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];
    }

    public byte[] ExportPublicKey(string fingerprint) => Gpg("--export", fingerprint).Output;

    public byte[] ExportSecretKey(string fingerprint) =>
        Gpg("--passphrase", "", "--pinentry-mode", "loopback", "--export-secret-keys", fingerprint).Output;

    public void Import(byte[] key) => Gpg(input: key, "--import");

    /// <summary>Decrypts (and verifies, when signed and the signer's key is imported); throws when gpg fails.</summary>
    public GpgDecryption Decrypt(byte[] ciphertext)
    {
        var result = ExternalTool.Run("gpg", Arguments("--status-fd", "2", "--decrypt"), ciphertext);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"gpg --decrypt exited with {result.ExitCode}: {result.Errors}");
        }

        return new GpgDecryption(result.Output, result.Errors);
    }

    public ToolResult Gpg(params string[] arguments) => Gpg(null, arguments);

    public ToolResult Gpg(byte[]? input, params string[] arguments) => ExternalTool.RunChecked("gpg", Arguments(arguments), input);

    private IEnumerable<string> Arguments(params string[] arguments) =>
        new[] { "--homedir", Directory, "--batch", "--no-tty", "--trust-model", "always" }.Concat(arguments);

    public void Dispose()
    {
        ExternalTool.Run("gpgconf", ["--homedir", Directory, "--kill", "all"]);
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // The agent may still be removing its socket; a leftover temp folder is harmless.
        }
    }
}

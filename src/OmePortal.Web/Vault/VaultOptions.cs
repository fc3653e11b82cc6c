namespace OmePortal.Web.Vault;

/// <summary>Section <c>OmePortal:Vault</c>.</summary>
public sealed class VaultOptions
{
    public const string Section = "OmePortal:Vault";

    /// <summary>Base64 of a 256-bit master key. When empty, a key file is used (and created on first run).</summary>
    public string? MasterKey { get; set; }

    /// <summary>Defaults to <c>&lt;data&gt;/master.key</c>.</summary>
    public string? MasterKeyFile { get; set; }
}

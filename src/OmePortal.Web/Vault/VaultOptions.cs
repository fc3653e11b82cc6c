namespace OmePortal.Web.Vault;

/// <summary>Section <c>OmePortal:Vault</c>.</summary>
public sealed class VaultOptions
{
    public const string Section = "OmePortal:Vault";

    /// <summary>Base64 of a 256-bit master key. When empty, a key file is used (and created on first run).</summary>
    public string? MasterKey { get; set; }

    /// <summary>Defaults to <c>&lt;data&gt;/master.key</c>, which only Development accepts without <see cref="AllowKeyInDataDirectory"/>.</summary>
    public string? MasterKeyFile { get; set; }

    /// <summary>
    /// Outside Development the master key file must live apart from the data directory, because a backup
    /// or copy of the data directory must not carry the key that opens it. True accepts it there anyway.
    /// </summary>
    public bool AllowKeyInDataDirectory { get; set; }
}

namespace OmePortal.Core.Intake;

/// <summary>What a recipient may do with a protected message (OME's two built-in options).</summary>
public enum ProtectionLevel
{
    /// <summary>Reply, reply-all, forward, download and print are allowed.</summary>
    EncryptOnly = 0,

    /// <summary>No forward, no attachment download, no change to the recipient list.</summary>
    DoNotForward = 1,
}

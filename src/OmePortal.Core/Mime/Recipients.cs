namespace OmePortal.Core.Mime;

/// <summary>How a recipient was addressed.</summary>
public enum RecipientKind
{
    To = 0,
    Cc = 1,
    Bcc = 2,
}

/// <summary>
/// One recipient of a message. <see cref="Address"/> is normalised with
/// <see cref="AddressNormalizer.Normalize"/> (trimmed, lower-case, IDN domains in Unicode form).
/// </summary>
public sealed record RecipientAddress(string Address, RecipientKind Kind);

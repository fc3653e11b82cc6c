using OmePortal.Core.Intake;

namespace OmePortal.Core.EndToEnd;

/// <summary>What the sender's rule or REST call allows for a protected message.</summary>
public enum DeliveryPreference
{
    /// <summary>Every recipient reads the message on the portal (the behaviour before end-to-end delivery).</summary>
    Portal = 0,

    /// <summary>A recipient with a usable key gets the message encrypted to that key; the others use the portal.</summary>
    Best = 1,
}

/// <summary>How one recipient receives a protected message. Stored as a number: append, never renumber.</summary>
public enum DeliveryMethod
{
    Portal = 0,
    SMime = 1,
    PgpMime = 2,
    PgpInline = 3,
}

/// <summary>What the tenant's key directory holds for one recipient, reduced to what the choice needs.</summary>
public enum RecipientKeyOffer
{
    None = 0,
    SMimeCertificate = 1,
    OpenPgpKey = 2,

    /// <summary>An OpenPGP key whose owner (or the admin) asked for PGP/Inline instead of PGP/MIME.</summary>
    OpenPgpKeyInline = 3,
}

/// <summary>Why <see cref="DeliveryChoice"/> chose a method; the rule tester and the trace show it.</summary>
public enum DeliveryReason
{
    /// <summary>The rule or REST call asked for the portal only.</summary>
    PortalRequested = 0,

    /// <summary>Do-Not-Forward needs the portal's controls, and the rule does not allow end-to-end for it.</summary>
    DoNotForwardNeedsPortal = 1,

    /// <summary>The key directory holds no usable certificate or key for the address.</summary>
    NoUsableKey = 2,

    UsableCertificate = 3,
    UsableOpenPgpKey = 4,
    UsableOpenPgpKeyInline = 5,

    /// <summary>The recipient has a usable key, but no smart host is configured to send the encrypted copy through.</summary>
    NoSmartHost = 6,
}

public sealed record DeliveryDecision(DeliveryMethod Method, DeliveryReason Reason)
{
    public bool IsEndToEnd => Method != DeliveryMethod.Portal;
}

/// <summary>
/// The one decision of how a recipient receives a protected message (docs/ARCHITECTURE.md §6): the rule's
/// (or REST call's) preference first, then Do-Not-Forward, then the key. An end-to-end copy leaves the
/// portal's control (no revocation, no Do-Not-Forward), so the portal stays the default whenever
/// something has not explicitly allowed the alternative.
/// </summary>
public static class DeliveryChoice
{
    public static DeliveryDecision Choose(
        DeliveryPreference preference,
        ProtectionLevel protection,
        bool endToEndAllowedForDoNotForward,
        RecipientKeyOffer key,
        bool smartHostConfigured = true)
    {
        if (preference == DeliveryPreference.Portal)
        {
            return new(DeliveryMethod.Portal, DeliveryReason.PortalRequested);
        }

        if (protection == ProtectionLevel.DoNotForward && !endToEndAllowedForDoNotForward)
        {
            return new(DeliveryMethod.Portal, DeliveryReason.DoNotForwardNeedsPortal);
        }

        if (key != RecipientKeyOffer.None && !smartHostConfigured)
        {
            return new(DeliveryMethod.Portal, DeliveryReason.NoSmartHost);
        }

        return key switch
        {
            RecipientKeyOffer.SMimeCertificate => new(DeliveryMethod.SMime, DeliveryReason.UsableCertificate),
            RecipientKeyOffer.OpenPgpKey => new(DeliveryMethod.PgpMime, DeliveryReason.UsableOpenPgpKey),
            RecipientKeyOffer.OpenPgpKeyInline => new(DeliveryMethod.PgpInline, DeliveryReason.UsableOpenPgpKeyInline),
            RecipientKeyOffer.None => new(DeliveryMethod.Portal, DeliveryReason.NoUsableKey),
            _ => throw new ArgumentOutOfRangeException(nameof(key), key, null),
        };
    }
}

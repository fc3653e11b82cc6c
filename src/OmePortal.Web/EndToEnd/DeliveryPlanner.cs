using OmePortal.Core.EndToEnd;
using OmePortal.Core.Intake;
using OmePortal.Data;
using OmePortal.Web.RecipientKeys;
using OmePortal.Web.Rules;

namespace OmePortal.Web.EndToEnd;

/// <summary>How each recipient of one message is sent it, by normalised address.</summary>
public sealed class DeliveryPlan(IReadOnlyDictionary<string, DeliveryDecision> decisions)
{
    public static readonly DeliveryPlan AllPortal = new(new Dictionary<string, DeliveryDecision>());

    private static readonly DeliveryDecision PortalRequested = new(DeliveryMethod.Portal, DeliveryReason.PortalRequested);

    /// <summary>The decision for one address; an address the plan was not made for goes by portal.</summary>
    public DeliveryDecision For(string address) => decisions.GetValueOrDefault(address, PortalRequested);

    public DeliveryMethod MethodFor(string address) => For(address).Method;

    /// <summary>What the ingestor queues for the recipient: the end-to-end copy or the portal notification.</summary>
    public OutboundMailKind MailKindFor(string address) => For(address).IsEndToEnd ? OutboundMailKind.EndToEnd : OutboundMailKind.Notification;
}

/// <summary>
/// Decides per recipient between the portal and an end-to-end copy (docs/ARCHITECTURE.md §6): the pure
/// <see cref="DeliveryChoice"/> fed with the tenant's usable keys and whether a smart host exists to relay
/// through. The ingestor and the rule tester ask the same planner, so the tester says what intake will do.
/// </summary>
public sealed class DeliveryPlanner(RecipientKeyDirectory keys, SmtpRelay relay)
{
    public async Task<DeliveryPlan> PlanAsync(
        Guid tenantId,
        DeliveryPreference preference,
        bool endToEndForDoNotForward,
        ProtectionLevel protection,
        IReadOnlyCollection<string> addresses,
        CancellationToken cancellationToken)
    {
        var decisions = new Dictionary<string, DeliveryDecision>(StringComparer.Ordinal);
        // The portal-only path is the default one and the hot one: it costs intake no query.
        var usable = preference == DeliveryPreference.Portal || (protection == ProtectionLevel.DoNotForward && !endToEndForDoNotForward)
            ? new Dictionary<string, UsableRecipientKey>()
            : await keys.FindUsableAsync(tenantId, addresses, cancellationToken);
        foreach (var address in addresses)
        {
            var offer = usable.TryGetValue(address, out var key) ? OfferOf(key) : RecipientKeyOffer.None;
            decisions[address] = DeliveryChoice.Choose(preference, protection, endToEndForDoNotForward, offer, relay.IsConfigured);
        }

        return new DeliveryPlan(decisions);
    }

    public static RecipientKeyOffer OfferOf(UsableRecipientKey key) => key.Kind switch
    {
        RecipientKeyKind.SMime => RecipientKeyOffer.SMimeCertificate,
        RecipientKeyKind.OpenPgp when key.PgpFormat == PgpFormat.Inline => RecipientKeyOffer.OpenPgpKeyInline,
        RecipientKeyKind.OpenPgp => RecipientKeyOffer.OpenPgpKey,
        _ => throw new ArgumentOutOfRangeException(nameof(key), key.Kind, null),
    };

    /// <summary>The method a usable key gives, whatever the rule says: the one the send-time composition uses.</summary>
    public static DeliveryMethod MethodOf(UsableRecipientKey key) => OfferOf(key) switch
    {
        RecipientKeyOffer.SMimeCertificate => DeliveryMethod.SMime,
        RecipientKeyOffer.OpenPgpKeyInline => DeliveryMethod.PgpInline,
        _ => DeliveryMethod.PgpMime,
    };
}

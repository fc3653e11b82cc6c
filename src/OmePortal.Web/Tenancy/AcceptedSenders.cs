using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;
using OmePortal.Core.Mime;
using OmePortal.Core.Rules;
using OmePortal.Data;

namespace OmePortal.Web.Tenancy;

/// <summary>Whether a tenant may send a message from the sender it names.</summary>
public abstract record SenderDecision
{
    private SenderDecision() { }

    public sealed record Accepted : SenderDecision;

    /// <summary>Refused; <paramref name="Detail"/> says why, for the problem detail or the SMTP reply (no message content).</summary>
    public sealed record Refused(string Detail) : SenderDecision;
}

/// <summary>
/// The sender belongs to the tenant: a message a tenant hands in (REST or SMTP, encrypted or relayed) must name
/// a sender in one of the tenant's accepted domains (<see cref="TenantDomainRecord"/>; subdomains included), in
/// every From address and in the envelope sender. Recipients see that sender, reply to it and it may revoke,
/// so without this one tenant could send protected mail "from" another's domain. A tenant with no accepted
/// domains accepts nothing, except the first-run tenant in Development (the README's first example).
/// Portal replies are not checked here: their sender is the signed-in recipient, outside the tenant by nature.
/// </summary>
public sealed class AcceptedSenders(OmePortalDbContext db, IHostEnvironment environment, IOptions<BootstrapOptions> bootstrap)
{
    /// <summary>How the refusal for a tenant without accepted domains begins (tests and the admin pages match it).</summary>
    public const string NoDomainsDetail = "This tenant has no accepted domains, so it accepts no mail until an administrator sets them (admin: Mail-flow rules, or the system admin's tenant page).";

    private static readonly IdnMapping Idn = new();

    /// <summary>Checks the From addresses read from the message's header block and the envelope sender.</summary>
    public async Task<SenderDecision> CheckAsync(Guid tenantId, Stream mime, string? envelopeSender, CancellationToken cancellationToken)
    {
        var start = mime.Position;
        List<string> from;
        try
        {
            var parser = new MimeParser(mime, MimeFormat.Entity, persistent: true);
            var headers = await parser.ParseHeadersAsync(cancellationToken);
            from = FromAddresses(headers);
        }
        catch (FormatException)
        {
            from = [];
        }
        finally
        {
            mime.Position = start;
        }

        return await CheckAsync(tenantId, from, envelopeSender, cancellationToken);
    }

    /// <summary>Checks already parsed From addresses and the envelope sender (null or empty: none was given).</summary>
    public async Task<SenderDecision> CheckAsync(Guid tenantId, IReadOnlyList<string> fromAddresses, string? envelopeSender, CancellationToken cancellationToken)
    {
        var domains = await db.ForTenant(tenantId).Domains.AsNoTracking().Select(d => d.Domain).ToListAsync(cancellationToken);
        if (domains.Count == 0)
        {
            return await IsOpenDevelopmentTenantAsync(tenantId, cancellationToken)
                ? new SenderDecision.Accepted()
                : new SenderDecision.Refused(NoDomainsDetail);
        }

        var accepted = domains.Select(UnicodeDomain).ToList();
        var senders = fromAddresses.Where(a => !string.IsNullOrWhiteSpace(a)).ToList();
        if (!string.IsNullOrWhiteSpace(envelopeSender))
        {
            senders.Add(envelopeSender);
        }

        if (senders.Count == 0)
        {
            return new SenderDecision.Refused("The message names no sender: give a From address in one of this tenant's accepted domains.");
        }

        foreach (var sender in senders)
        {
            if (!IsWithin(sender, accepted))
            {
                return new SenderDecision.Refused($"The sender '{sender.Trim()}' is not in one of this tenant's accepted domains.");
            }
        }

        return new SenderDecision.Accepted();
    }

    /// <summary>Whether <paramref name="address"/>'s domain is one of <paramref name="domains"/> (in Unicode form) or below one.</summary>
    public static bool IsWithin(string address, IReadOnlyList<string> domains)
    {
        var value = AddressNormalizer.Normalize(address);
        var at = value.LastIndexOf('@');
        if (at <= 0 || at == value.Length - 1)
        {
            return false;
        }

        return Domains.IsIn(UnicodeDomain(value[(at + 1)..]), domains);
    }

    /// <summary>A domain lower-cased and in Unicode, so "xn--mnchen-3ya.de" and "münchen.de" are the same domain.</summary>
    public static string UnicodeDomain(string domain)
    {
        var normalized = Domains.Normalize(domain);
        try
        {
            return Idn.GetUnicode(normalized).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return normalized;
        }
    }

    private static List<string> FromAddresses(HeaderList headers)
    {
        var addresses = new List<string>();
        foreach (var header in headers.Where(h => h.Id == HeaderId.From))
        {
            if (!InternetAddressList.TryParse(header.Value, out var list))
            {
                // An unreadable From names no sender anyone could check: refuse rather than skip it.
                addresses.Add(header.Value);
                continue;
            }

            addresses.AddRange(list.Mailboxes.Select(m => m.Address));
        }

        return addresses;
    }

    private async Task<bool> IsOpenDevelopmentTenantAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        if (!environment.IsDevelopment())
        {
            return false;
        }

        var slug = bootstrap.Value.TenantSlug;
        return await db.Tenants.AnyAsync(t => t.Id == tenantId && t.Slug == slug, cancellationToken);
    }
}

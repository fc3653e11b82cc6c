using System.ComponentModel.DataAnnotations;

namespace OmePortal.Web.Replies;

/// <summary>Section <c>OmePortal:Replies</c>: limits of replies and forwards written in the portal.</summary>
public sealed class RepliesOptions
{
    public const string Section = "OmePortal:Replies";

    /// <summary>Files a reply may carry (uploads; a forward also carries the original's attachments).</summary>
    [Range(0, 100)]
    public int MaxAttachments { get; set; } = 10;

    /// <summary>
    /// Total size of the uploaded files of one reply, in bytes. The uploads are held in memory (once,
    /// base64-encoded) until the reply is encrypted, so this bounds the memory of one request. The
    /// tenant's maximum message size applies as well, whichever is smaller.
    /// </summary>
    [Range(typeof(long), "1", "1073741824")]
    public long MaxAttachmentBytes { get; set; } = 25L * 1024 * 1024;

    /// <summary>Characters of typed text.</summary>
    [Range(1, 1_000_000)]
    public int MaxBodyChars { get; set; } = 100_000;

    /// <summary>Addresses a forward may go to.</summary>
    [Range(1, 500)]
    public int MaxForwardRecipients { get; set; } = 20;

    /// <summary>Replies and forwards one recipient session may send in an hour (issue 18: a recipient is an outsider).</summary>
    [Range(1, 10_000)]
    public int MaxPerSessionPerHour { get; set; } = 10;

    /// <summary>Replies and forwards one address may send in an hour, across its sessions.</summary>
    [Range(1, 10_000)]
    public int MaxPerAddressPerHour { get; set; } = 10;

    /// <summary>
    /// Distinct addresses outside their conversation that one address (and one session) may write to in a day.
    /// People already in the conversation do not count, so replies never do.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxNewRecipientsPerDay { get; set; } = 50;

    /// <summary>Addresses outside the conversation one forward may add (of at most <see cref="MaxForwardRecipients"/>).</summary>
    [Range(1, 500)]
    public int MaxForwardNewRecipients { get; set; } = 10;

    /// <summary>Bytes that portal replies and forwards may occupy in one tenant (their MIME size, until shredded); 0 means unlimited.</summary>
    [Range(typeof(long), "0", "9223372036854775807")]
    public long TenantStorageQuotaBytes { get; set; }
}

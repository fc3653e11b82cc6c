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
}

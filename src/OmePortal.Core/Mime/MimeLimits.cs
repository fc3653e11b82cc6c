namespace OmePortal.Core.Mime;

/// <summary>
/// How much structure one message may have. A message over a limit is refused before MimeKit builds its
/// object tree or the render model, so its cost stays proportional to its size, not to its part or header count.
/// </summary>
/// <param name="MaxRecipients">Distinct recipients (from the headers, or the envelope when there is one).</param>
/// <param name="MaxMimeParts">MIME entities of any kind: leaf parts, multiparts and attached messages.</param>
/// <param name="MaxHeaderLines">Header lines over all entities; a folded header counts each of its lines.</param>
public sealed record MimeLimits(int MaxRecipients, int MaxMimeParts, int MaxHeaderLines)
{
    /// <summary>The defaults of <c>OmePortal:Intake</c>.</summary>
    public static readonly MimeLimits Default = new(100, 1_000, 10_000);
}

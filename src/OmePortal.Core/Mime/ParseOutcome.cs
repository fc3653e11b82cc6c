using MimeKit;
using OmePortal.Core.Intake;

namespace OmePortal.Core.Mime;

/// <summary>The result of <see cref="MessageParser.Parse"/>.</summary>
public abstract record ParseOutcome
{
    private ParseOutcome()
    {
    }

    /// <summary>
    /// The bytes are an email with at least one valid recipient. <see cref="Message"/> was parsed
    /// in persistent mode: its part contents read from the caller's stream, which must stay open
    /// while they are used. The caller disposes the message.
    /// </summary>
    /// <param name="Recipients">Normalised, distinct recipients (from the envelope when one was given).</param>
    /// <param name="SenderAddress">The normalised first valid From (else Sender) address, or null.</param>
    public sealed record Parsed(
        MimeMessage Message,
        IReadOnlyList<RecipientAddress> Recipients,
        string? SenderAddress,
        RenderModel RenderModel) : ParseOutcome;

    /// <summary>The bytes cannot be taken in; <see cref="Detail"/> is a sentence a person can read.</summary>
    public sealed record Failed(IngestError Error, string Detail) : ParseOutcome;
}

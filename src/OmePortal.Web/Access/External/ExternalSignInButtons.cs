namespace OmePortal.Web.Access.External;

/// <summary>What the buttons partial (Access/External/_ExternalSignIn.cshtml) posts along: the link it sits on, or where to go after /signin.</summary>
public sealed record ExternalSignInButtons(string? LinkToken, string? ReturnUrl, string? RecipientAddress)
{
    /// <summary>The providers to offer; null for every configured one (the inbox sign-in). The link page passes those open to its message (Portal/SignInOffer.cs).</summary>
    public IReadOnlyList<ExternalProvider>? Providers { get; init; }
}

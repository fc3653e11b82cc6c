using OmePortal.Core.Branding;

namespace OmePortal.Core.Access;

/// <summary>
/// The sign-in methods a brand allows, and the method a session's name stands for (the names
/// <c>RecipientSessions.Method</c> records: <c>passcode</c>, <c>passkey</c>, <c>microsoft</c>, <c>oidc:&lt;provider&gt;</c>).
/// </summary>
public static class SignInChoices
{
    public const string PasscodeMethod = "passcode";
    public const string PasskeyMethod = "passkey";
    public const string MicrosoftMethod = "microsoft";
    public const string OpenIdConnectMethodPrefix = "oidc:";

    /// <summary>
    /// What <paramref name="brand"/> lets a recipient sign in with. A passkey counts as a passcode: both
    /// prove the address with the portal's own means (the mailbox received a code; a key the portal
    /// registered for that address answered its challenge), with no third party vouching for it. A brand
    /// that turns passcodes off asks for an identity provider's word instead, which a passkey is not;
    /// a brand that keeps them on has nothing to fear from a passkey that it would not from the mailbox.
    /// </summary>
    public static SignInMethods AllowedBy(BrandTemplate brand)
    {
        ArgumentNullException.ThrowIfNull(brand);
        var allowed = SignInMethods.None;
        if (brand.OtpEnabled)
        {
            allowed |= SignInMethods.Passcode | SignInMethods.Passkey;
        }

        if (brand.MicrosoftSignInEnabled)
        {
            allowed |= SignInMethods.External;
        }

        return allowed;
    }

    /// <summary>
    /// The method a session name stands for; <see cref="SignInMethods.None"/> (allowed nowhere) for a
    /// missing or unknown name, so a session from some future or foreign sign-in opens nothing by accident.
    /// </summary>
    public static SignInMethods MethodOf(string? sessionMethod) => sessionMethod switch
    {
        PasscodeMethod => SignInMethods.Passcode,
        PasskeyMethod => SignInMethods.Passkey,
        MicrosoftMethod => SignInMethods.External,
        { Length: > 5 } name when name.StartsWith(OpenIdConnectMethodPrefix, StringComparison.Ordinal) => SignInMethods.External,
        _ => SignInMethods.None,
    };

    /// <summary>The single methods of <paramref name="methods"/>, in the order the pages list them.</summary>
    public static IReadOnlyList<SignInMethods> Each(SignInMethods methods) =>
        [.. new[] { SignInMethods.Passcode, SignInMethods.Passkey, SignInMethods.External }.Where(m => (methods & m) == m)];
}

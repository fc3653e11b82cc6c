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
    /// The session method of a passkey registered from an external session: <c>passkey/</c> and that
    /// method (<c>passkey/microsoft</c>, <c>passkey/oidc:acme</c>). See <see cref="PasskeySessionMethod"/>.
    /// </summary>
    public const string InheritingPasskeyPrefix = PasskeyMethod + "/";

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
        { } name when name.StartsWith(InheritingPasskeyPrefix, StringComparison.Ordinal)
            && IsExternal(name[InheritingPasskeyPrefix.Length..]) => SignInMethods.External,
        _ => SignInMethods.None,
    };

    // Only a provider's own name: "passkey/passkey/..." is nothing the portal records.
    private static bool IsExternal(string method) =>
        method == MicrosoftMethod || (method.Length > OpenIdConnectMethodPrefix.Length && method.StartsWith(OpenIdConnectMethodPrefix, StringComparison.Ordinal));

    /// <summary>
    /// The method that verified the address behind a session: the session's own method, except for a
    /// passkey session, where it is the method the passkey was registered from (<c>passcode</c> for a plain
    /// <c>passkey</c>). A new passkey records this, so a passkey registered from a passkey session inherits
    /// from the first one and a chain of passkeys never launders an external sign-in into a passcode's standing.
    /// </summary>
    public static string AddressProofOf(string sessionMethod)
    {
        ArgumentNullException.ThrowIfNull(sessionMethod);
        if (sessionMethod == PasskeyMethod)
        {
            return PasscodeMethod;
        }

        return sessionMethod.StartsWith(InheritingPasskeyPrefix, StringComparison.Ordinal)
            ? sessionMethod[InheritingPasskeyPrefix.Length..]
            : sessionMethod;
    }

    /// <summary>
    /// The method a sign-in with a passkey records. A passkey inherits the method that verified the address
    /// when it was registered (<paramref name="registeredWith"/>): one registered from a passcode session (or
    /// before this was recorded: null) is a plain <c>passkey</c>, which counts like a passcode; one registered
    /// from an external session is <c>passkey/&lt;that method&gt;</c>, which counts like that external method,
    /// so a brand that turned external sign-in off, or a provider restricted to other tenants, refuses it as
    /// it refuses the external session it came from.
    /// </summary>
    public static string PasskeySessionMethod(string? registeredWith) =>
        registeredWith is null || !IsExternal(registeredWith)
            ? PasskeyMethod
            : InheritingPasskeyPrefix + registeredWith;

    /// <summary>Whether a session was signed in with a passkey (of either kind).</summary>
    public static bool IsPasskey(string? sessionMethod) =>
        sessionMethod is not null
        && (sessionMethod == PasskeyMethod || sessionMethod.StartsWith(InheritingPasskeyPrefix, StringComparison.Ordinal));

    /// <summary>The single methods of <paramref name="methods"/>, in the order the pages list them.</summary>
    public static IReadOnlyList<SignInMethods> Each(SignInMethods methods) =>
        [.. new[] { SignInMethods.Passcode, SignInMethods.Passkey, SignInMethods.External }.Where(m => (methods & m) == m)];
}

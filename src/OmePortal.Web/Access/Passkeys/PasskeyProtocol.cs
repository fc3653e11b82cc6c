using System.Security.Cryptography;
using Fido2NetLib;
using Fido2NetLib.Objects;

namespace OmePortal.Web.Access.Passkeys;

/// <summary>A stored credential as the assertion check needs it.</summary>
public readonly record struct StoredPasskey(byte[] CredentialId, byte[] PublicKey, long SignCount, byte[] UserHandle);

/// <summary>
/// The WebAuthn rules every passkey of the portal follows, recipients' and admins' alike:
/// discoverable credentials with user verification, no attestation, an empty allow-list at sign-in
/// (the options say nothing about anybody), the user handle checked, a counter that must move on.
/// Where the credentials are stored is the callers' business.
/// </summary>
public sealed class PasskeyProtocol(IFido2 fido2)
{
    public string CreationOptionsJson(byte[] userHandle, string name, string displayName, IEnumerable<byte[]> existingCredentialIds) =>
        fido2.RequestNewCredential(new RequestNewCredentialParams
        {
            User = new Fido2User { Id = userHandle, Name = name, DisplayName = displayName },
            ExcludeCredentials = [.. existingCredentialIds.Select(id => new PublicKeyCredentialDescriptor(id))],
            AuthenticatorSelection = new AuthenticatorSelection
            {
                ResidentKey = ResidentKeyRequirement.Required,
                UserVerification = UserVerificationRequirement.Required,
            },
            AttestationPreference = AttestationConveyancePreference.None,
        }).ToJson();

    /// <summary>The new credential, or why it is refused.</summary>
    public async Task<(RegisteredPublicKeyCredential? Credential, string? Refusal)> VerifyRegistrationAsync(
        string optionsJson, AuthenticatorAttestationRawResponse response, Func<byte[], CancellationToken, Task<bool>> isCredentialIdUnique, CancellationToken cancellationToken)
    {
        var original = CredentialCreateOptions.FromJson(optionsJson);
        RegisteredPublicKeyCredential credential;
        try
        {
            credential = await fido2.MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = response,
                OriginalOptions = original,
                IsCredentialIdUniqueToUserCallback = (args, ct) => isCredentialIdUnique(args.CredentialId, ct),
            }, cancellationToken);
        }
        catch (Exception e) when (IsVerificationFailure(e))
        {
            return (null, e.Message);
        }

        return credential.User.Id.AsSpan().SequenceEqual(original.User.Id)
            ? (credential, null)
            : (null, "user handle differs from the one offered");
    }

    public string SignInOptionsJson() =>
        fido2.GetAssertionOptions(new GetAssertionOptionsParams
        {
            AllowedCredentials = [],
            UserVerification = UserVerificationRequirement.Required,
        }).ToJson();

    /// <summary>The authenticator's new signature counter, or why the assertion is refused.</summary>
    public async Task<(uint? SignCount, string? Refusal)> VerifyAssertionAsync(
        string optionsJson, AuthenticatorAssertionRawResponse response, StoredPasskey stored, CancellationToken cancellationToken)
    {
        VerifyAssertionResult result;
        try
        {
            result = await fido2.MakeAssertionAsync(new MakeAssertionParams
            {
                AssertionResponse = response,
                OriginalOptions = AssertionOptions.FromJson(optionsJson),
                StoredPublicKey = stored.PublicKey,
                StoredSignatureCounter = (uint)stored.SignCount,
                IsUserHandleOwnerOfCredentialIdCallback = (args, _) => Task.FromResult(
                    args.UserHandle.AsSpan().SequenceEqual(stored.UserHandle) && args.CredentialId.AsSpan().SequenceEqual(stored.CredentialId)),
            }, cancellationToken);
        }
        catch (Exception e) when (IsVerificationFailure(e))
        {
            return (null, e.Message);
        }

        // A counter that does not move forward means a cloned authenticator (0 and 0: the authenticator keeps none).
        return (result.SignCount == 0 && stored.SignCount == 0) || result.SignCount > stored.SignCount
            ? (result.SignCount, null)
            : (null, "signature counter did not increase");
    }

    // What a malformed or forged browser answer makes the library throw; anything else is a fault of ours.
    private static bool IsVerificationFailure(Exception e) =>
        e is Fido2VerificationException or ArgumentException or FormatException or InvalidOperationException
            or System.Formats.Cbor.CborContentException or CryptographicException or System.Text.Json.JsonException;
}

using System.Collections.Frozen;
using Microsoft.AspNetCore.Identity;
using OmePortal.Data;

namespace OmePortal.Web.Admin;

/// <summary>
/// Refuses passwords from the shipped list of common passwords (<c>common-passwords.txt</c>, embedded),
/// case-insensitively (ASVS 6.2.4). Identity runs every registered validator wherever a password is set
/// (creating an account, changing a password), and the setup and invitation pages ask the same validators
/// before they spend the link; the length minimum is Identity's own <see cref="PasswordValidator{TUser}"/>.
/// </summary>
public sealed class CommonPasswordValidator : IPasswordValidator<AdminUser>
{
    public const string ErrorCode = "PasswordCommon";

    private const string ResourceName = "OmePortal.Web.Admin.common-passwords.txt";

    private static readonly Lazy<FrozenSet<string>> Common = new(Load);

    /// <summary>How many passwords the list holds (for tests: the resource is really there).</summary>
    public static int Count => Common.Value.Count;

    public static bool IsCommon(string password) => Common.Value.Contains(password.Trim());

    public Task<IdentityResult> ValidateAsync(UserManager<AdminUser> manager, AdminUser user, string? password) =>
        Task.FromResult(password is not null && IsCommon(password)
            ? IdentityResult.Failed(new IdentityError { Code = ErrorCode, Description = "The password is on the list of common passwords." })
            : IdentityResult.Success);

    private static FrozenSet<string> Load()
    {
        using var stream = typeof(CommonPasswordValidator).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded list {ResourceName} is missing.");
        using var reader = new StreamReader(stream);
        var words = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            var word = line.Trim();
            if (word.Length > 0 && !word.StartsWith('#'))
            {
                words.Add(word);
            }
        }

        return words.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }
}

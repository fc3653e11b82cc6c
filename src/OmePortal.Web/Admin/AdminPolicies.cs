namespace OmePortal.Web.Admin;

/// <summary>
/// Authorisation policies of the admin area. Folder conventions (see <see cref="AdminExtensions"/>) put
/// <see cref="TenantAdmin"/> on every page under /Admin except the account pages named below, and
/// <see cref="SystemAdmin"/> on /Admin/SystemAdmin, so a new admin page is protected without doing anything.
/// Endpoints outside Razor Pages (a CSV export, an image) must say <c>.RequireAuthorization(AdminPolicies.TenantAdmin)</c>
/// themselves. AdminAuthorizationTests holds its own copy of these lists: widening one fails it until the test agrees.
/// </summary>
public static class AdminPolicies
{
    /// <summary>An admin signed in with both factors (password and authenticator), any tenant or the system admin.</summary>
    public const string TenantAdmin = "AdminTenant";

    /// <summary>A system admin (no tenant of their own) signed in with both factors.</summary>
    public const string SystemAdmin = "AdminSystem";

    /// <summary>
    /// Any signed-in admin, also one with the password only: for the authenticator enrolment page and
    /// sign-out (the /Admin/Account pages), nothing else.
    /// </summary>
    public const string SignedIn = "AdminSignedIn";

    /// <summary>The account pages that must open with no admin session: password, authenticator code, setup link, signed out.</summary>
    public static readonly IReadOnlyList<string> PagesBeforeSignIn =
        ["/Admin/Account/SignIn", "/Admin/Account/TwoFactor", "/Admin/Account/Setup", "/Admin/Account/SignedOut"];

    /// <summary>The pages an admin signed in with the password only may open (<see cref="SignedIn"/>): enrolling the authenticator, signing out.</summary>
    public static readonly IReadOnlyList<string> PagesWithPasswordOnly = ["/Admin/Account/Enrol", "/Admin/Account/SignOut"];
}

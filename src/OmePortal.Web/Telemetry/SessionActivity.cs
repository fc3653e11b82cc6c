using System.Diagnostics;

namespace OmePortal.Web.Telemetry;

/// <summary>
/// The span of one SMTP session: from the greeting to the end of the connection. Started from the listener's event,
/// so it must not become the ambient <see cref="Activity.Current"/> there (the next session would nest under it);
/// each message's span names it as parent explicitly. Tags: the session id and the outcome, never an address.
/// </summary>
internal static class SessionActivity
{
    public static Activity? Start(Guid sessionId)
    {
        var ambient = Activity.Current;
        Activity.Current = null;
        var activity = PortalActivities.Source.StartActivity("smtp.session", ActivityKind.Server);
        activity?.SetTag("omeportal.smtp.session_id", sessionId.ToString("N"));
        Activity.Current = ambient;
        return activity;
    }

    public static void Stop(Activity? activity, string? fault)
    {
        if (activity is null)
        {
            return;
        }

        if (fault is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, fault);
        }

        var ambient = Activity.Current;
        activity.Stop();
        Activity.Current = ambient == activity ? null : ambient;
    }

    /// <summary>The span of one message (end of DATA to the reply), a child of its session's span.</summary>
    public static Activity? StartMessage(Activity? session) =>
        PortalActivities.Source.StartActivity("smtp.message", ActivityKind.Server, session?.Context ?? default);
}

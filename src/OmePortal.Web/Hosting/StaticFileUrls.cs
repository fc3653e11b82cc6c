using Microsoft.AspNetCore.Mvc.Rendering;
using Microsoft.AspNetCore.Mvc.ViewFeatures;

namespace OmePortal.Web.Hosting;

/// <summary>
/// URLs of the portal's own files under <c>wwwroot</c> with the content hash that lets browsers keep them
/// until they change, as <c>asp-append-version</c> gives them, but without the link and script tag
/// helpers: those take their element apart and buffer it again on every page view (bench/RESULTS.md).
/// </summary>
public static class StaticFileUrls
{
    /// <param name="path">The file's path from the web root, starting with <c>/</c>.</param>
    public static string Versioned(this ViewContext view, string path)
    {
        var pathBase = view.HttpContext.Request.PathBase;
        return view.HttpContext.RequestServices.GetRequiredService<IFileVersionProvider>().AddFileVersionToPath(pathBase, pathBase.Add(path).Value!);
    }
}

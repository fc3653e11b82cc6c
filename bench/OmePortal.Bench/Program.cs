Console.WriteLine("OmePortal benchmarks: not written yet.");

// Parses Java source files with the JDK's own compiler front end and reports syntax errors only: imports are
// not resolved, so an example that uses the Alibaba SDK can be checked without its jars. Exit status 1 on errors.
// Run as a single-file program: java tests/tools/JavaSyntax.java Example.java
import java.io.File;
import java.util.List;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaFileObject;
import javax.tools.ToolProvider;
import com.sun.source.util.JavacTask;

public class JavaSyntax {
    public static void main(String[] args) throws Exception {
        var compiler = ToolProvider.getSystemJavaCompiler();
        var diagnostics = new DiagnosticCollector<JavaFileObject>();
        var files = compiler.getStandardFileManager(null, null, null)
                .getJavaFileObjectsFromFiles(List.of(args).stream().map(File::new).toList());
        var task = (JavacTask) compiler.getTask(null, null, diagnostics, List.of("-proc:none"), null, files);
        task.parse();
        boolean failed = false;
        for (var d : diagnostics.getDiagnostics()) {
            System.out.println(d);
            failed |= d.getKind() == javax.tools.Diagnostic.Kind.ERROR;
        }
        System.exit(failed ? 1 : 0);
    }
}

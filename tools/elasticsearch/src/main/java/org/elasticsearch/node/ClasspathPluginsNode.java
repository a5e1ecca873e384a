package org.elasticsearch.node;

import java.util.Collection;
import java.util.List;

import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.MockPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

/**
 * A production {@link Node} whose plugins are classes on the classpath instead of plugin bundles
 * under modules/ and plugins/. It is what the test framework's MockNode does, minus MockNode's
 * tie to ESTestCase (whose static initialiser installs the test bootstrap and refuses to run as
 * root): only the plugins service differs from a stock node; every other service is the real one.
 *
 * <p>It sits in org.elasticsearch.node because NodeConstruction and NodeServiceProvider are
 * package-private; on the classpath (the unnamed module) that split package is allowed.
 */
public final class ClasspathPluginsNode extends Node {
    private final List<Class<? extends Plugin>> plugins;

    public ClasspathPluginsNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
        super(NodeConstruction.prepareConstruction(environment, null, new ClasspathServiceProvider(List.copyOf(plugins)), true));
        this.plugins = List.copyOf(plugins);
    }

    public List<Class<? extends Plugin>> classpathPlugins() {
        return plugins;
    }

    private static final class ClasspathServiceProvider extends NodeServiceProvider {
        private final List<Class<? extends Plugin>> plugins;

        ClasspathServiceProvider(List<Class<? extends Plugin>> plugins) {
            this.plugins = plugins;
        }

        @Override
        PluginsService newPluginService(Environment environment, PluginsLoader pluginsLoader) {
            return new MockPluginsService(environment.settings(), environment, plugins);
        }
    }
}

import { describe, expect, it } from 'vitest';
import { ServiceError } from '../errors.js';
import { daemonProvider, pluginProvider, ServiceRegistry } from './registry.js';

describe('ServiceRegistry', () => {
  it('keeps a plugin and a daemon of the same name apart: withdrawing daemon web leaves plugin web', () => {
    const services = new ServiceRegistry();
    services.scoped(pluginProvider('web')).provide('routes', ['/a']);
    services.scoped(daemonProvider('web')).provide('server', { port: 1 });
    services.withdraw(daemonProvider('web'));
    expect(services.names()).toEqual(['routes']);
    services.withdraw(pluginProvider('web'));
    expect(services.names()).toEqual([]);
  });

  it('names both providers when a service is provided twice', () => {
    const services = new ServiceRegistry();
    services.scoped(pluginProvider('a')).provide('llm.pool', 1);
    expect(() => services.scoped(daemonProvider('b')).provide('llm.pool', 2)).toThrow(/already provided by plugin:a; daemon:b cannot/);
    try {
      services.scoped(daemonProvider('b')).provide('llm.pool', 2);
    } catch (err) {
      expect(err).toBeInstanceOf(ServiceError);
      expect((err as ServiceError).code).toBe('KORA_ERR_SERVICE_DUPLICATE');
    }
  });

  it('says what is provided when a service is missing', () => {
    const services = new ServiceRegistry();
    services.scoped(daemonProvider('x')).provide('slack', {});
    expect(() => services.get('engine')).toThrow(/No service "engine" is provided \(provided: slack\)/);
  });
});

/**
 * Codes of the HSM layer (hsm/). `details.ckr` carries the PKCS#11 return value when there is one.
 * hsm/errors.ts derives `HsmErrorCode` (PIN_INCORRECT → HSM_PIN_INCORRECT …) from the HSM_ codes.
 */
import type { ErrorTable } from '../spec';

export const HSM_CODES = {
  HSM_ALGORITHM_UNSUPPORTED: { category: 'badInput', en: 'the profile or the call asks for an algorithm the key manager does not provide', zh: '配置文件或调用要求的算法不受密钥管理器支持' },
  HSM_CLOSED: { category: 'unavailable', en: 'the key manager was closed', zh: '密钥管理器已关闭' },
  HSM_CONFIG_INVALID: { category: 'badInput', en: 'the HSM configuration (environment, pool size, arguments) is invalid', zh: 'HSM 配置（环境变量、会话池大小、参数）无效' },
  HSM_DEVICE_ERROR: { category: 'unavailable', en: 'the device, its sessions or its handles went away and reconnecting did not help', zh: '设备、会话或句柄失效，重新连接后仍未恢复' },
  HSM_KEY_AMBIGUOUS: { category: 'conflict', en: 'more than one private key matches the selector', zh: '有多个私钥与选择条件匹配' },
  HSM_KEY_EXISTS: { category: 'conflict', en: 'a key with this CKA_ID or CKA_LABEL already exists', zh: '已存在具有该 CKA_ID 或 CKA_LABEL 的密钥' },
  HSM_KEY_INVALID: { category: 'badInput', en: 'the key has the wrong type, lacks its public-key object or may not be used this way', zh: '密钥类型错误、缺少对应的公钥对象，或不允许这样使用' },
  HSM_KEY_NOT_FOUND: { category: 'notFound', en: 'no private key matches the selector', zh: '没有与选择条件匹配的私钥' },
  HSM_MECHANISM_MISSING: { category: 'unavailable', en: 'the token lacks a mechanism the profile needs', zh: '令牌缺少配置文件所需的机制' },
  HSM_MODULE_NOT_FOUND: { category: 'unavailable', en: 'the PKCS#11 module cannot be loaded', zh: '无法加载 PKCS#11 模块' },
  HSM_OPERATION_FAILED: { category: 'internal', en: 'the module answered an unexpected error', zh: '模块返回了意外错误' },
  HSM_PIN_INCORRECT: { category: 'unauthenticated', en: 'the token rejected the PIN', zh: '令牌拒绝了该 PIN' },
  HSM_PIN_LOCKED: { category: 'unavailable', en: 'the user PIN is locked; the security officer must reset it', zh: '用户 PIN 已锁定，须由安全管理员重置' },
  HSM_PIN_MISSING: { category: 'badInput', en: 'no user PIN is configured (TQCA_HSM_PIN or TQCA_HSM_PIN_FILE)', zh: '未配置用户 PIN（TQCA_HSM_PIN 或 TQCA_HSM_PIN_FILE）' },
  HSM_POOL_TIMEOUT: { category: 'unavailable', en: 'no session became free within the acquire timeout', zh: '在等待时限内没有空闲会话' },
  HSM_PROFILE_INVALID: { category: 'badInput', en: 'the vendor profile is malformed or the token rejects its key template', zh: '厂商配置文件格式错误，或令牌拒绝其密钥模板' },
  HSM_SIGNATURE_INVALID: { category: 'internal', en: 'the token returned a signature that does not verify on the host', zh: '令牌返回的签名在主机上验证不通过' },
  HSM_TOKEN_NOT_FOUND: { category: 'unavailable', en: 'no slot holds a token with the configured label', zh: '没有插槽持有配置标签对应的令牌' },
  HSM_TOKEN_NOT_INITIALIZED: { category: 'unavailable', en: 'the token has no user PIN yet', zh: '令牌尚未设置用户 PIN' },
  // Quorum activation of the signing keys (hsm/quorum.ts)
  HSM_LOCKED: { category: 'unavailable', en: 'signing is locked until K officers enter their PIN shares (TQCA_HSM_QUORUM)', zh: '签名已锁定，须由 K 名官员输入各自的 PIN 份额后方可签名' },
  HSM_QUORUM_ACTIVE: { category: 'conflict', en: 'signing is already activated', zh: '签名已激活' },
  HSM_QUORUM_EXISTS: { category: 'conflict', en: 'the PIN is already split, or the token exists with a PIN that was not split', zh: 'PIN 已拆分，或令牌已存在且其 PIN 未经拆分' },
  HSM_QUORUM_NOT_INITIALIZED: { category: 'notFound', en: 'no quorum record: initialise the token with tqca hsm init --officers', zh: '未找到门限记录：请用 tqca hsm init --officers 初始化令牌' },
  HSM_SHARE_DUPLICATE: { category: 'conflict', en: 'this share was entered already', zh: '该份额已输入' },
  HSM_SHARE_NOT_HOLDER: { category: 'forbidden', en: 'the share was issued to another officer', zh: '该份额发给的是另一名官员' },
  HSM_SHARE_WRONG: { category: 'badInput', en: 'the share does not belong to this split, or was altered', zh: '该份额不属于本次拆分，或已被篡改' },
  // The embedded software token (hsm/softtoken)
  SOFTTOKEN_BUILD_FAILED: { category: 'unavailable', en: 'building the SM2 software token failed (the compiler’s output is the message)', zh: '构建 SM2 软件令牌失败（消息为编译器输出）' },
  SOFTTOKEN_NOT_BUILT: { category: 'unavailable', en: 'the SM2 software token is not built (npm run build:softtoken)', zh: 'SM2 软件令牌尚未构建（请运行 npm run build:softtoken）' },
} as const satisfies ErrorTable;

export default function Home() {
  return (
    <main className="mx-auto max-w-3xl px-6 py-16">
      <p className="text-sm font-medium tracking-wide text-slate-500">TQ-CERT-1</p>
      <h1 className="mt-2 text-3xl font-semibold">清分结算中心 CA 管理控制台</h1>
      <p className="mt-1 text-lg text-slate-600">Clearing-center certificate authority console</p>
      <p className="mt-6 leading-7 text-slate-700">
        为发卡机构签发 106 字节 SM2 机构公钥证书，发布根公钥、证书与撤销列表，并保留可离线验证的证书日志。
      </p>
      <p className="mt-2 leading-7 text-slate-500">
        Issues 106-byte SM2 issuer certificates, publishes root keys, certificates and revocations, and keeps a
        tamper-evident certificate log.
      </p>
    </main>
  );
}
